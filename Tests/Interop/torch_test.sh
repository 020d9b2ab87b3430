#!/usr/bin/env bash
# PyTorch round trip: the 50 % pruned ResNet-56, the pruned CNN of every activation and the twelve
# pruned random architectures that
# export_models.lua saved with net:save are each rebuilt by Scripts/topiary_torch.py from the architecture in its metadata, its state_dict
# loaded with strict=True, and its logits must equal Topiary's to 1e-4 relative.
# torch is too large for every CI run: the python comes from $TOPIARY_TORCH_PYTHON, else the
# venv of ../shared/bench/setup.sh ($ANCHOR_VENV or ~/.cache/topiary-anchors/venv); the test
# says SKIP when none has torch. Run onnx_test.sh first (it writes the models), or pass a
# topiary binary and it runs the export itself.
# Usage: Tests/Interop/torch_test.sh [path/to/topiary]
set -euo pipefail
cd "$(dirname "$0")/../.."
py=""
for c in "${TOPIARY_TORCH_PYTHON:-}" "${ANCHOR_VENV:+$ANCHOR_VENV/bin/python}" "$HOME/.cache/topiary-anchors/venv/bin/python"; do
  if [ -n "$c" ] && [ -x "$c" ] && "$c" -c "import torch, numpy" 2>/dev/null; then py="$c"; break; fi
done
[ -n "$py" ] || { echo "SKIP torch: no python with torch (set TOPIARY_TORCH_PYTHON, or create ../shared/bench/setup.sh's venv)"; exit 0; }
out=.build/interop-test
if [ ! -f "$out/resnet56_pruned.safetensors" ] || [ ! -f "$out/random12.safetensors" ]; then
  bin="${1:-$(swift build -c release --show-bin-path)/topiary}"
  mkdir -p "$out"
  "$bin" run Tests/Interop/export_models.lua "$out" >/dev/null
fi
status=0
for name in resnet56_pruned activations random1 random2 random3 random4 random5 random6 random7 random8 random9 random10 random11 random12; do
  x="$out/x.npy"; [ -f "$out/$name.x.npy" ] && x="$out/$name.x.npy"
  "$py" Scripts/topiary_torch.py "$out/$name.safetensors" --input "$x" --output "$out/torch_$name.npy" >/dev/null
  "$py" - "$out" "$name" <<'PY' || status=1
import sys
import numpy as np
out, name = sys.argv[1], sys.argv[2]
want = np.load(f"{out}/{name}17.npy" if name == "activations" else f"{out}/{name}.npy")
got = np.load(f"{out}/torch_{name}.npy")
rel = float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-30))
ok = got.shape == want.shape and rel <= 1e-4
print(f"{'ok  ' if ok else 'FAIL'} torch {name}: strict state_dict load, logits {got.shape} rel diff {rel:.2e}")
sys.exit(0 if ok else 1)
PY
done
exit $status
