#!/usr/bin/env bash
# Data-parallel training over Open MPI with 2 local ranks: the dist module's collectives
# and errors (dist_ops.lua); ranks that disagree on the model or the steps get one error
# each instead of a hang (dist_agree.lua); plain BatchNorm's buffers are rank 1's after
# every epoch and SyncBatchNorm takes one sample on a rank (dist_batchnorm.lua); resume =
# true follows rank 1's checkpoint (dist_resume.lua); train.fit{distributed = true} — 2
# ranks × batch 64 give the weights and loss curve of 1 rank × batch 128, without and with
# nn.sync_batchnorm, and distilled from a teacher that rank 1 sends (dist_fit.lua, reference
# run first without mpirun), only rank 1
# prints; a rank that fails ends the job; a one-rank process under a launcher of several
# tasks (srun --mpi=pmi2) warns.
# As root (CI) mpirun needs --allow-run-as-root; 2 ranks may exceed the cores: --oversubscribe.
# Skips, saying why, when Open MPI's mpirun is not installed.
# Usage: Tests/Dist/mpi_test.sh [path/to/topiary]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${1:-$(swift build -c release --show-bin-path)/topiary}"
out="$PWD/.build/mpi-test"

command -v mpirun >/dev/null || { echo "SKIP mpi: mpirun is not installed (Scripts/setup installs openmpi-bin)"; exit 0; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Containers often forbid the cross-memory attach Open MPI's shared-memory transport tries first.
export OMPI_MCA_btl_vader_single_copy_mechanism=none
# One thread per rank for the kernels and OpenBLAS: two ranks share the two cores.
export TOPIARY_THREADS=1 OPENBLAS_NUM_THREADS=1
mpi=(mpirun -np 2 --oversubscribe --bind-to none)
[ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)

fail() { echo "FAIL mpi: $1"; echo "$2" | tail -n 30 | sed 's/^/     /'; exit 1; }
rm -rf "$out"; mkdir -p "$out"

log=$("${mpi[@]}" "$bin" run Tests/Dist/dist_ops.lua 2>&1) || fail "dist_ops.lua" "$log"
echo "$log" | grep "^ok" || fail "dist_ops.lua printed no ok line" "$log"

# Ranks that would fall out of step (a hang is a failure: timeout), BatchNorm's buffers and
# an uneven last batch, and resume = true with a checkpoint that only rank 1 sees.
for t in dist_agree dist_batchnorm dist_resume; do
  set +e
  log=$(timeout 300 "${mpi[@]}" "$bin" run "Tests/Dist/$t.lua" -- "$out" 2>&1)
  rc=$?
  set -e
  [ "$rc" -ne 124 ] || fail "$t.lua hung (timeout after 300 s)" "$log"
  [ "$rc" -eq 0 ] || fail "$t.lua (exit $rc)" "$log"
  echo "$log" | grep "^ok" || fail "$t.lua printed no ok line" "$log"
done

for mode in plain sync distill; do
  log=$("$bin" run Tests/Dist/dist_fit.lua -- "$mode" "$out" 2>&1) || fail "dist_fit.lua $mode (1 rank, no mpirun)" "$log"
  log=$("${mpi[@]}" "$bin" run Tests/Dist/dist_fit.lua -- "$mode" "$out" 2>&1) || fail "dist_fit.lua $mode (2 ranks)" "$log"
  echo "$log" | grep "^ok" || fail "dist_fit.lua $mode printed no ok line" "$log"
  lines=$(echo "$log" | grep -c "^epoch 1/1" || true)
  [ "$lines" -eq 1 ] || fail "$mode: expected the epoch line from rank 1 only, got $lines" "$log"
done

# A rank that fails ends the job (MPI_Abort at exit) instead of leaving rank 1 in the barrier.
set +e
log=$(timeout 120 "${mpi[@]}" "$bin" -e 'if dist.rank() == 2 then error("rank two fails") end; dist.barrier()' 2>&1)
rc=$?
set -e
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "a failing rank: expected the job to end with an error, got exit $rc" "$log"
echo "$log" | grep -q "rank two fails" || fail "a failing rank: its error is not shown" "$log"
echo "ok mpi: a failing rank aborts the job (exit $rc)"

# srun --mpi=pmi2 (PMI_SIZE; Open MPI here has no PMI-2 support) or srun without an MPI
# plugin (SLURM_NTASKS) starts K copies that each run as rank 1 of 1: each says so, once.
for var in PMI_SIZE SLURM_NTASKS; do
  log=$(env -u OMPI_COMM_WORLD_SIZE -u PMIX_RANK "$var=2" "$bin" -e 'dist.barrier(); print("size " .. dist.size() .. " rank " .. dist.rank())' 2>&1) \
    || fail "$var=2 without mpirun" "$log"
  echo "$log" | grep -qx "size 1 rank 1" || fail "$var=2 without mpirun: expected one rank" "$log"
  n=$(echo "$log" | grep -c "$var=2 says this job has 2 tasks" || true)
  [ "$n" -eq 1 ] || fail "$var=2 without mpirun: expected the warning once, got $n" "$log"
done
echo "ok mpi: one rank under a launcher of 2 tasks warns"
