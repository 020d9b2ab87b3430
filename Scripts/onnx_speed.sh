#!/usr/bin/env bash
# Speed of the 50 % pruned ResNet-56 (L1, residual streams included) in onnxruntime against
# the same net in Topiary, at batch 1 and 128: median wall time of a forward pass over
# several runs after a warm-up, both on the machine's cores. A benchmark, not a test: run it
# on a quiet machine (`uptime` load < 0.5). Prints one JSON line per engine and batch.
# Usage: Scripts/onnx_speed.sh [reps (default 20)] [path/to/topiary (default: build it)]
set -euo pipefail
cd "$(dirname "$0")/.."
reps="${1:-20}"
if [ -n "${2:-}" ]; then bin="$2"; else
  swift build -c release --product topiary >/dev/null
  bin="$(swift build -c release --show-bin-path)/topiary"
fi
py=$(Scripts/pyenv onnx onnxruntime numpy)
out=.build/onnx-speed
mkdir -p "$out"
cat > "$out/speed.lua" <<LUA
local out, reps = "$out", $reps
local shape = {1, 3, 32, 32}
local net = nn.zoo.resnet56{}
local w = "../shared/bench/resnet56_seed0.safetensors"
local f = io.open(w, "rb"); if f then f:close(); net:load(w) end
prune.plan(net, {criterion = "l1", ratio = 0.5, input = shape}):apply()
net:eval()
net:export_onnx(out .. "/resnet56_pruned.onnx", {input = shape})
nn.set_grad_enabled(false)   -- inference as onnxruntime runs it: nothing kept for a backward (the fused path)
for _, b in ipairs{1, 128} do
  local x = tensor.randn(b, 3, 32, 32)
  for _ = 1, 3 do net:forward(x) end
  local t = {}
  for i = 1, reps do local t0 = topiary.clock(); net:forward(x); t[i] = topiary.clock() - t0 end
  table.sort(t)
  print(string.format('{"engine": "topiary", "batch": %d, "median_ms": %.3f, "min_ms": %.3f}', b, t[(reps + 1) // 2] * 1e3, t[1] * 1e3))
end
LUA
"$bin" run "$out/speed.lua"
"$py" - "$out/resnet56_pruned.onnx" "$reps" <<'PY'
import os, sys, time
import numpy as np
import onnxruntime as ort
path, reps = sys.argv[1], int(sys.argv[2])
o = ort.SessionOptions()
o.intra_op_num_threads = os.cpu_count() or 1
sess = ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])
for b in (1, 128):
    x = np.random.default_rng(0).standard_normal((b, 3, 32, 32), dtype=np.float32)
    for _ in range(3):
        sess.run(None, {"input": x})
    t = []
    for _ in range(reps):
        t0 = time.perf_counter(); sess.run(None, {"input": x}); t.append(time.perf_counter() - t0)
    t.sort()
    print(f'{{"engine": "onnxruntime {ort.__version__}", "batch": {b}, "median_ms": {t[(reps - 1) // 2] * 1e3:.3f}, "min_ms": {t[0] * 1e3:.3f}}}')
PY
