# Shared by the SLURM tests (sourced). Each test runs in its own WORK_DIR against the cluster that
# the slurm_cluster fixture started (tests/slurm/cluster.sh) and submits the real job scripts
# from jobs/slurm/ with sbatch, from the source tree, so they run exactly as a user's would.
# Environment (set by tests/CMakeLists.txt): HERMES, SOURCE_DIR, WORK_DIR, SLURM_TEST_CLUSTER.
set -euo pipefail

fail() { echo "FAILED: $*" >&2; exit 1; }

# Skips the test (ctest SKIP_REGULAR_EXPRESSION) when the fixture could not start a cluster.
require_cluster() {
  export SLURM_CONF="$SLURM_TEST_CLUSTER/slurm.conf"
  if [[ ! -f "$SLURM_CONF" ]] || ! timeout 30 sinfo --noheader >/dev/null 2>&1; then
    echo "SKIPPED: no SLURM test cluster in $SLURM_TEST_CLUSTER (tests/slurm/cluster.sh start could not run here)"
    exit 0
  fi
  # The tests take the cluster in turn: a job still here was left by a test that ctest killed.
  kill_jobs $(squeue --noheader --format=%i 2>/dev/null)
  trap cancel_own_jobs EXIT
  rm -rf "$WORK_DIR"
  mkdir -p "$WORK_DIR"
  cd "$WORK_DIR"
  export HERMES_BIN="$HERMES" HERMES_ROOT="$SOURCE_DIR"
}

# Ends jobs for good. A plain scancel would not: the job scripts requeue a stopped job. SIGKILL
# cannot be caught, so the batch shell dies without requeueing; a pending job is cancelled.
kill_jobs() {
  [[ $# -gt 0 ]] || return 0
  scancel --quiet --full --signal=KILL "$@" 2>/dev/null || true
  scancel --quiet "$@" 2>/dev/null || true
  for _ in $(seq 1 120); do [[ -z $(squeue --noheader --jobs="$(IFS=,; echo "$*")" 2>/dev/null) ]] && return 0; sleep 0.5; done
}

# A failed test leaves no job behind to requeue itself and hold the node.
cancel_own_jobs() {
  kill_jobs $(squeue --noheader --format="%i %Z" 2>/dev/null | awk -v d="$WORK_DIR" '$2 == d { print $1 }')
}

# Waits until a file exists and is not empty.
wait_for_file() {
  local file=$1 limit=${2:-120}
  for _ in $(seq 1 $((limit * 10))); do
    [[ -s "$file" ]] && return 0
    sleep 0.1
  done
  fail "$file did not appear within ${limit}s"
}

# sbatch from the work directory; prints the job id. The scripts' GPU-node defaults are replaced
# by what this one-node CPU cluster has: 2 tasks of 1 CPU.
submit() {
  sbatch --parsable --ntasks-per-node=2 --cpus-per-task=1 "$@"
}

# Prints one field of `scontrol show job` (JobState, Restarts, ExitCode, ...).
job_field() {
  scontrol show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}

# True when a job state is final (not pending, running, requeued or completing).
final_state() {
  case "$1" in
    COMPLETED | FAILED | CANCELLED | TIMEOUT | OUT_OF_MEMORY | NODE_FAIL | PREEMPTED | BOOT_FAIL | DEADLINE) return 0 ;;
  esac
  return 1
}

# Waits until the job has finished for good.
wait_job() {
  local id=$1 limit=${2:-600} state=""
  for _ in $(seq 1 $((limit * 2))); do
    state=$(job_field "$id" JobState)
    final_state "$state" && return 0
    sleep 0.5
  done
  fail "job $id still $state after ${limit}s"
}

# Waits until the job is running and its run has written metrics rows past step $3.
wait_for_step() {
  local id=$1 csv=$2 step=$3 last=0 state
  for _ in $(seq 1 1200); do
    if [[ -s "$csv" ]]; then
      last=$(tail -1 "$csv" | cut -d, -f1)
      [[ "$last" =~ ^[0-9]+$ && "$last" -ge "$step" ]] && return 0
    fi
    # Only a final state ends the wait: scontrol may answer with nothing while slurmctld is busy.
    state=$(job_field "$id" JobState)
    final_state "$state" && fail "job $id ended ($state) before step $step; log: $(tail -5 "$WORK_DIR"/*.out)"
    sleep 0.1
  done
  fail "job $id did not reach step $step (last row: $last)"
}

expect_state() {
  local id=$1 want_state=$2 want_exit=$3
  local state exit_code
  state=$(job_field "$id" JobState)
  exit_code=$(job_field "$id" ExitCode)
  [[ $state == "$want_state" && $exit_code == "$want_exit" ]] ||
    fail "job $id ended $state with exit $exit_code, expected $want_state with $want_exit"
}

# The run's metrics.csv ends at step $2.
expect_last_step() {
  local csv=$1 want=$2 last
  [[ -s "$csv" ]] || fail "$csv is missing or empty"
  last=$(tail -1 "$csv" | cut -d, -f1)
  [[ "$last" == "$want" ]] || fail "$csv ends at step '$last', expected $want"
}

expect_in() {
  local file=$1 text=$2
  grep -qF -- "$text" "$file" || { tail -30 "$file" >&2; fail "$file lacks '$text'"; }
}

# The run in $2 finished exactly as the uninterrupted run in $1: the same final weights, bit for
# bit, and the same loss at every step, each step once.
expect_same_run() {
  local ref=$1 run=$2
  [[ -f "$run/checkpoints/final.h5" ]] || fail "$run has no final checkpoint"
  h5diff -q "$ref/checkpoints/final.h5" "$run/checkpoints/final.h5" /model ||
    fail "final weights of $run differ from the uninterrupted run $ref"
  local dups
  dups=$(cut -d, -f1 "$run/metrics.csv" | sort | uniq -d | head -3 | tr '\n' ' ')
  [[ -z "$dups" ]] || fail "$run/metrics.csv repeats steps: $dups"
  cmp -s <(cut -d, -f1,2 "$ref/metrics.csv") <(cut -d, -f1,2 "$run/metrics.csv") ||
    fail "the step,loss columns of $run/metrics.csv differ from $ref/metrics.csv"
}

# The deck of the preemption tests, written to ./deck.toml: pretraining only, on the data the
# slurm_data fixture prepared, a nano model, $1 steps, no periodic checkpoints (every checkpoint
# a run holds comes from a stop).
write_preempt_deck() {
  local data="$SLURM_TEST_CLUSTER/../data/runs/pipe"
  cat > deck.toml <<EOF
[run]
name = "ref"
stages = ["pretrain"]
seed = 7
[tokenizer]
path = "$data/tokenizer.json"
[data]
output_dir = "$data/data"
[model]
preset = "nano"
context_length = 128
[train]
batch_size = 8
seq_len = 128
max_steps = $1
log_interval = 100
[optim]
lr = 3e-3
warmup_steps = 20
[eval]
interval = 0
test_at_end = false
[checkpoint]
interval = 0
EOF
}
