#!/usr/bin/env bash
# Sweeps on a real single-node Slurm: starts munged, slurmctld and slurmd on localhost
# (config, keys, state and logs under .build/slurm-test), submits a 2 × 3 × 2 sweep as a
# job array, cancels one task, resubmits (only that task runs again), collects a 12-row
# table, checks failing and killed tasks and a status after the grid is edited, and stops the
# daemons at the end (also on failure).
# Skips, saying why, when Slurm is not installed or not running as root.
# Usage: Tests/Sweep/slurm_test.sh [path/to/topiary]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${1:-$(swift build -c release --show-bin-path)/topiary}"
root="$PWD/.build/slurm-test"
t_start=$(date +%s)

skip() { echo "SKIP slurm: $*"; exit 0; }
for c in munged slurmctld slurmd sbatch scontrol scancel squeue; do
  command -v "$c" >/dev/null || skip "$c is not installed (Scripts/setup installs slurm-wlm and munge)"
done
[ "$(id -u)" -eq 0 ] || skip "slurmd must run as root to start jobs (as in CI); run the tests as root"

fail() {
  echo "FAIL slurm: $*"
  for f in "$root"/log/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 15 "$f"; }; done
  exit 1
}

rm -rf "$root"
mkdir -p "$root/munge" "$root/log" "$root/spool/ctld" "$root/spool/d"
chmod 700 "$root/munge"
head -c 1024 /dev/urandom > "$root/munge/munge.key"
chmod 600 "$root/munge/munge.key"
export SLURM_CONF="$root/slurm.conf"
base=$((20000 + $$ % 20000))

stop() {
  scontrol shutdown >/dev/null 2>&1 || true
  for f in "$root/slurmctld.pid" "$root/slurmd.pid"; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  munged -s --socket="$root/munge/munge.sock" >/dev/null 2>&1 || true
}
trap stop EXIT

munged --force --key-file="$root/munge/munge.key" --socket="$root/munge/munge.sock" --pid-file="$root/munge/munged.pid" \
  --seed-file="$root/munge/seed" --log-file="$root/log/munged.log" || fail "munged did not start"

cat > "$SLURM_CONF" <<CONF
ClusterName=topiary-test
SlurmctldHost=localhost
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$root/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$root/spool/ctld
SlurmdSpoolDir=$root/spool/d
SlurmctldPidFile=$root/slurmctld.pid
SlurmdPidFile=$root/slurmd.pid
SlurmctldLogFile=$root/log/slurmctld.log
SlurmdLogFile=$root/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
MpiDefault=none
ReturnToService=2
MinJobAge=600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=1000 State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

slurmctld -c || fail "slurmctld did not start"
slurmd -N localhost || fail "slurmd did not start"
for _ in $(seq 1 100); do
  sinfo -h -o %t 2>/dev/null | grep -qx idle && break
  sleep 0.2
done
sinfo -h -o %t | grep -qx idle || fail "the node did not come up idle: $(sinfo -h 2>&1)"
echo "slurm: single-node cluster up in $(( $(date +%s) - t_start )) s (ports $base, $((base + 1)))"

export SWEEP_TEST_OUT="$root/runs" SWEEP_TEST_OUT_FAIL="$root/failing"
sweep=Tests/Sweep/slurm_sweep.lua

# Waits until Slurm has no queued or running task of job $1.
wait_job() {
  for _ in $(seq 1 300); do
    [ -z "$(squeue -h -j "$1" -o %i 2>/dev/null)" ] && return 0
    sleep 0.3
  done
  fail "job $1 did not finish in 90 s: $(squeue -h -j "$1" 2>&1)"
}

# 1. Submit the 12 tasks (at most 2 at once) and cancel the last one while it waits.
job=$("$bin" sweep submit "$sweep" --slurm --time 5 --cpus 1) || fail "sweep submit failed"
[[ "$job" =~ ^[0-9]+$ ]] || fail "sweep submit printed '$job', not a job id"
grep -q -- "--array=0-11%2" "$root/runs/.slurm/submit-1.sbatch" || fail "the script does not hold --array=0-11%2"
grep -q -- '--grid [0-9a-f]\{16\}$' "$root/runs/.slurm/submit-1.sbatch" || fail "the script passes no grid fingerprint"
# A task queued under another grid (the sweep file edited since) refuses to run.
msg=$("$bin" sweep task "$sweep" --index 0 --grid 0000000000000000 2>&1) && fail "a task with another grid's fingerprint ran"
echo "$msg" | grep -q "changed since this job was submitted" || fail "the grid check says: $msg"
scancel "${job}_11" || fail "scancel ${job}_11 failed"
wait_job "$job"
status=$("$bin" sweep status "$sweep") || fail "sweep status failed"
# (Slurm keeps no record of an array task cancelled before it started: it is missing.)
echo "$status" | grep -q "12 tasks: 11 ok, 1 missing" || fail "status after the first job: $status"
echo "$status" | grep -q "11 noise=0.2,seed=2,width=4: missing" || fail "status does not name the cancelled task: $status"
[ -f "$root/runs/noise=0.2,seed=2,width=4/task.json" ] && fail "the cancelled task has a record"
before=$(stat -c %Y "$root/runs/noise=0.0,seed=1,width=2/task.json")
sleep 1

# 2. Resubmit: only the cancelled task runs again; finished folders are left alone.
job2=$("$bin" sweep submit "$sweep" --slurm) || fail "the second sweep submit failed"
grep -q -- "--array=11%2" "$root/runs/.slurm/submit-2.sbatch" || fail "the resubmission is not --array=11%2: $(grep array "$root/runs/.slurm/submit-2.sbatch")"
wait_job "$job2"
[ "$(stat -c %Y "$root/runs/noise=0.0,seed=1,width=2/task.json")" = "$before" ] || fail "a finished task's record was rewritten"
grep -q "\"slurm_job\": \"${job2}_11\"" "$root/runs/noise=0.2,seed=2,width=4/task.json" || fail "task 11 did not run in job $job2"
"$bin" sweep status "$sweep" | grep -q "12 tasks: 12 ok" || fail "status after the resubmission: $("$bin" sweep status "$sweep")"
msg=$("$bin" sweep submit "$sweep" --slurm 2>&1) || fail "a third submit failed: $msg"
echo "$msg" | grep -q "nothing to submit" || fail "a finished sweep was submitted again: $msg"

# 3. Collect: 12 rows, CSV and chart.
"$bin" sweep collect -q "$sweep" 2>/dev/null || fail "sweep collect failed"
rows=$(($(wc -l < "$root/runs/results.csv") - 1))
[ "$rows" -eq 12 ] || fail "results.csv has $rows rows, expected 12"
[ "$(grep -c ',ok' "$root/runs/results.csv")" -eq 12 ] || fail "not every row is ok: $(cat "$root/runs/results.csv")"
# (reported names that are also parameters get "report." in front)
head -1 "$root/runs/results.csv" | grep -q "^index,noise,seed,width,features,mse,report.noise,status" || fail "results.csv header: $(head -1 "$root/runs/results.csv")"
grep -q "<svg" "$root/runs/results.svg" || fail "no chart"
grep -q "^0,0.0,1,2,2,0.0,0.0,ok" "$root/runs/results.csv" || fail "noise 0 should report mse 0: $(sed -n 2p "$root/runs/results.csv")"

# 4. Failing tasks (the notebook raises: Slurm says FAILED) and a task killed while it runs
#    (scancel: CANCELLED, no task record): status names each with the log to read.
fsweep=Tests/Sweep/slurm_failing.lua
job3=$("$bin" sweep submit "$fsweep" --slurm) || fail "submitting the failing sweep failed"
for _ in $(seq 1 100); do
  squeue -h -r -j "$job3" -o "%i %T" | grep -qx "${job3}_1 RUNNING" && break
  sleep 0.2
done
sleep 1
scancel "${job3}_1" || fail "scancel ${job3}_1 failed"
wait_job "$job3"
status=$("$bin" sweep status "$fsweep")
echo "$status" | grep -q "4 tasks: 1 ok, 3 failed" || fail "failing sweep status: $status"
echo "$status" | grep -q "1 fail=false,hold=30: failed, Slurm: CANCELLED (exit 0:15), no task record, log $root/failing/.slurm/${job3}_1.log" \
  || fail "the cancelled task's status: $status"
echo "$status" | grep -q "2 fail=true,hold=0: failed, exit 1, log $root/failing/fail=true,hold=0/log.txt" || fail "failing sweep status: $status"
grep -q "asked to fail" "$root/failing/fail=true,hold=0/log.txt" || fail "the failed task's log does not hold its error"
state=$(scontrol -o show job "${job3}_2" | grep -o 'JobState=[A-Z]*')
[ "$state" = "JobState=FAILED" ] || fail "Slurm's state of the failing task: $state"
resub=$("$bin" sweep submit "$fsweep" --slurm 2>&1) || fail "resubmitting the failing sweep failed: $resub"
scancel "$(echo "$resub" | tail -1)" 2>/dev/null || true
grep -q -- "--array=1-3%32" "$root/failing/.slurm/submit-2.sbatch" || fail "the resubmission should hold the 3 failed tasks: $(grep array "$root/failing/.slurm/submit-2.sbatch")"

# 5. The grid edited (hold = {7, 0}: point 0 is now fail=false,hold=7): the jobs submitted for
#    the old grid say nothing about the new points, whose indices they never named.
edited="$root/edited.lua"
echo "sweep{notebook = \"Tests/Sweep/tiny_notebook.lua\", grid = {fail = false, hold = {7, 0}}, out = \"$root/failing\"}" > "$edited"
status=$("$bin" sweep status "$edited" 2>"$root/edited.err") || fail "status of the edited sweep failed: $(cat "$root/edited.err")"
echo "$status" | grep -q "2 tasks: 1 ok, 1 missing" || fail "the edited grid's status (old jobs' indices taken for new points?): $status"
echo "$status" | grep -q "0 fail=false,hold=7: missing" || fail "the edited grid's new point: $status"
grep -q "submitted for an earlier grid" "$root/edited.err" || fail "status does not say it left out the old jobs: $(cat "$root/edited.err")"

echo "ok   slurm: 2 × 3 × 2 sweep, cancel + resubmit, collect, failed and killed tasks ($(( $(date +%s) - t_start )) s)"
