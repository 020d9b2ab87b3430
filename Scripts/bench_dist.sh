#!/usr/bin/env bash
# The measurements README's "Going further: clusters" quotes, on 2 local ranks of one
# core each (TOPIARY_THREADS=1, OPENBLAS_NUM_THREADS=1, each rank bound to a core):
# dist.allreduce GB/s between the 2 ranks, and ResNet-56 fine-tuning images/s with 1 and
# 2 ranks (global batch 128). Run it on a quiet machine: numbers under load are void.
# Usage: Scripts/bench_dist.sh [path/to/topiary]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-$(swift build -c release --show-bin-path)/topiary}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export TOPIARY_THREADS=1 OPENBLAS_NUM_THREADS=1
run() {
  local np=$1; shift
  local flags=(-np "$np" --bind-to core)
  [ "$(id -u)" -eq 0 ] && flags+=(--allow-run-as-root)
  mpirun "${flags[@]}" "$bin" run Scripts/bench_dist.lua -- "$@"
}
uptime
run 2 allreduce 64 10
run 1 fit 10
run 2 fit 10
