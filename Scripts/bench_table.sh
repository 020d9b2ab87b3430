#!/usr/bin/env bash
# The README's performance table: our `topiary bench` and ../shared/bench's anchor scripts
# (PyTorch NCHW and channels_last, onnxruntime, PyWavelets, NumPy) run ALTERNATELY for
# several rounds on this machine, then `topiary bench --compare` prints, per case and
# thread count, the best peer's median over rounds against ours. A benchmark, not a test:
# run it on a quiet machine (no build, test or other benchmark; `uptime` load < 0.5).
#
# Usage: Scripts/bench_table.sh [rounds (default 2)] [suite ...]
#   suites: conv train dwt criteria prune zoo (default: conv train dwt)
# Env: ANCHOR_THREADS (default 1,2), ANCHOR_PYTHON (the anchors' python; default
#      ../shared/bench/setup.sh's venv, created when missing), TOPIARY_BIN (default: a
#      plain release build, made here), ANCHOR_ONLY (case filter, both sides).
# Output: .build/bench-table/<date>/{ours,anchors}.jsonl and table.md (also printed).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-2}"; shift || true
suites=("$@"); [ ${#suites[@]} -gt 0 ] || suites=(conv train dwt)
export ANCHOR_THREADS="${ANCHOR_THREADS:-1,2}"
kit=../shared/bench
[ -d "$kit" ] || { echo "bench_table: $kit is missing (the anchors live there)" >&2; exit 2; }

if [ -n "${TOPIARY_BIN:-}" ]; then bin="$TOPIARY_BIN"; else
  # A plain release build: -enable-testing (the test build) may be slower.
  swift build -c release --scratch-path .build-plain --product topiary >/dev/null
  bin="$(swift build -c release --scratch-path .build-plain --show-bin-path)/topiary"
fi
py="${ANCHOR_PYTHON:-$HOME/.cache/topiary-anchors/venv/bin/python}"
if [ ! -x "$py" ]; then
  bash "$kit/setup.sh" "$(dirname "$(dirname "$py")")"
fi

scripts_for() {
  case "$1" in
    conv) echo "$kit/bench_conv_fwd.py" "$kit/bench_conv_bwd.py" ;;
    train) echo "$kit/bench_train.py" ;;
    dwt) echo "$kit/bench_dwt.py" ;;
    criteria) echo "$kit/bench_criteria.py" ;;
    prune) echo "$kit/bench_prune.py" ;;
    zoo) echo Scripts/bench_zoo.py ;;   # ours: the zoo networks the kit has no script for
    *) echo "bench_table: unknown suite '$1' (conv train dwt criteria prune zoo)" >&2; exit 2 ;;
  esac
}

out=".build/bench-table/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
{ lscpu | grep -m1 "Model name"; grep -m1 -E "^cpu family" /proc/cpuinfo; grep -m1 -E "^model\s" /proc/cpuinfo; echo "threads: $ANCHOR_THREADS; rounds: $rounds; suites: ${suites[*]}"; uptime; } | tee "$out/machine.txt"
for r in $(seq 1 "$rounds"); do
  for s in "${suites[@]}"; do
    echo "== round $r: topiary bench $s ($(date +%T))" >&2
    "$bin" bench "$s" >> "$out/ours.jsonl"
    for p in $(scripts_for "$s"); do
      echo "== round $r: $(basename "$p") ($(date +%T))" >&2
      env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE TOPIARY_BIN="$bin" TOPIARY_BENCH_DIR="$kit" "$py" "$p" >> "$out/anchors.jsonl"
    done
  done
done
"$bin" bench --compare "$out/anchors.jsonl" --ours "$out/ours.jsonl" | tee "$out/table.md"
echo "== results in $out" >&2
