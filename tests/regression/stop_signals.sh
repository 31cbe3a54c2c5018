#!/usr/bin/env bash
# Stops outside SLURM (run by test_stop_signals.cmake in its work directory):
#  - kill -TERM to jobs/mpirun.sh, and to its whole process group (a Ctrl-C, `timeout`), checkpoint
#    and exit 75; the resumed run equals an uninterrupted one bit for bit;
#  - a SIGTERM before the first step exits 75 with nothing half-written, and run.resume=true
#    then starts the run from step 0;
#  - kill -9 of every rank after a periodic checkpoint: the resume replays the lost steps and
#    metrics.csv holds each step once, with the uninterrupted run's losses.
# Usage: stop_signals.sh HERMES MPIEXEC SOURCE_DIR
set -euo pipefail
HERMES=$1 MPIEXEC=$2 SOURCE_DIR=$3
fail() { echo "FAILED: $*" >&2; exit 1; }
export MPIRUN=$MPIEXEC
launch() { "$SOURCE_DIR/jobs/mpirun.sh" -n 2 "$HERMES" run deck.toml "$@"; }

cat > deck.toml <<'TOML'
[run]
name = "prep"
stages = ["synth", "tokenizer", "prepare"]
seed = 3
[data]
format = "sharegpt"
inputs = ["{run_dir}/synth.jsonl"]
synth_conversations = 300
test_fraction = 0.05
[tokenizer]
vocab_size = 512
[model]
preset = "nano"
context_length = 128
[train]
batch_size = 8
seq_len = 128
max_steps = 400
log_interval = 100
[optim]
lr = 3e-3
warmup_steps = 20
[eval]
interval = 0
test_at_end = false
[checkpoint]
interval = 0
TOML
"$HERMES" run deck.toml > prep.log 2>&1 || { cat prep.log; fail "preparing the data failed"; }
train=('run.stages=["pretrain"]' tokenizer.path=runs/prep/tokenizer.json data.output_dir=runs/prep/data)

wait_for_step() {  # run, step
  for _ in $(seq 1 1200); do
    [[ -s runs/$1/metrics.csv ]] && [[ $(tail -1 "runs/$1/metrics.csv" | cut -d, -f1) =~ ^[0-9]+$ ]] &&
      [[ $(tail -1 "runs/$1/metrics.csv" | cut -d, -f1) -ge $2 ]] && return 0
    sleep 0.05
  done
  fail "run $1 never reached step $2"
}
same_run() {  # reference, run
  h5diff -q "runs/$1/checkpoints/final.h5" "runs/$2/checkpoints/final.h5" /model ||
    fail "final weights of $2 differ from the uninterrupted run"
  [[ -z $(cut -d, -f1 "runs/$2/metrics.csv" | sort | uniq -d) ]] || fail "runs/$2/metrics.csv repeats steps"
  cmp -s <(cut -d, -f1,2 "runs/$1/metrics.csv") <(cut -d, -f1,2 "runs/$2/metrics.csv") ||
    fail "step,loss of runs/$2/metrics.csv differ from runs/$1/metrics.csv"
}
expect_exit() {  # want, got, log
  [[ $2 -eq $1 ]] || { cat "$3"; fail "expected exit $1, got $2"; }
}

launch "${train[@]}" run.name=ref checkpoint.interval=100 > ref.log 2>&1 || { cat ref.log; fail "reference run failed"; }

# SIGTERM to the wrapper, then to its whole process group.
for how in pid group; do
  setsid "$SOURCE_DIR/jobs/mpirun.sh" -n 2 "$HERMES" run deck.toml "${train[@]}" run.name=$how \
    checkpoint.interval=100 > $how.log 2>&1 &
  pid=$!
  wait_for_step $how 120
  if [[ $how == pid ]]; then kill -TERM "$pid"; else kill -TERM -- "-$pid"; fi
  status=0; wait "$pid" || status=$?
  expect_exit 75 $status $how.log
  grep -q "stopped by SIGUSR1 after step" $how.log || { cat $how.log; fail "$how: no stop message"; }
  launch "${train[@]}" run.name=$how run.resume=true > $how-resume.log 2>&1 || { cat $how-resume.log; fail "$how: resume failed"; }
  grep -q "resumed from runs/$how/checkpoints/step_" $how-resume.log || fail "$how: did not resume from the stop's checkpoint"
  same_run ref $how
  echo "TERM to the $how: exit 75, resumed, equal to the uninterrupted run"
done

# SIGTERM before the first step: as soon as the run directory exists.
setsid "$SOURCE_DIR/jobs/mpirun.sh" -n 2 "$HERMES" run deck.toml "${train[@]}" run.name=early checkpoint.interval=100 \
  > early.log 2>&1 &
pid=$!
for _ in $(seq 1 3000); do [[ -e runs/early/hermes.log ]] && break; sleep 0.01; done
[[ -e runs/early/hermes.log ]] || fail "early: the run directory never appeared"
kill -TERM "$pid"
status=0; wait "$pid" || status=$?
expect_exit 75 $status early.log
grep -qE "stopped by SIGUSR1 before (stage pretrain|step 1)" early.log || { cat early.log; fail "early: no stop message"; }
[[ -z $(find runs/early -name '*.h5' -o -name '*.tmp') ]] || fail "early: a stop before the first step left files: $(find runs/early -name '*.h5' -o -name '*.tmp')"
launch "${train[@]}" run.name=early run.resume=true > early-resume.log 2>&1 || { cat early-resume.log; fail "early: resume failed"; }
grep -q "holds no checkpoint yet" early-resume.log || fail "early: the resume did not say it starts from step 0"
same_run ref early
echo "TERM before the first step: exit 75, nothing written, resumed from step 0, equal to the uninterrupted run"

# The same for a fine-tune: the resume from step 0 starts again from train.init_from's weights.
setsid "$SOURCE_DIR/jobs/mpirun.sh" -n 2 "$HERMES" run deck.toml "${train[@]}" run.name=ft \
  train.init_from=runs/ref/checkpoints/final.h5 train.max_steps=50 > ft.log 2>&1 &
pid=$!
for _ in $(seq 1 3000); do [[ -e runs/ft/hermes.log ]] && break; sleep 0.01; done
kill -TERM "$pid"
status=0; wait "$pid" || status=$?
expect_exit 75 $status ft.log
launch "${train[@]}" run.name=ft train.init_from=runs/ref/checkpoints/final.h5 train.max_steps=50 run.resume=true \
  > ft-resume.log 2>&1 || { cat ft-resume.log; fail "ft: resume failed"; }
grep -q "weights from runs/ref/checkpoints/final.h5" ft-resume.log ||
  { cat ft-resume.log; fail "ft: the resume from step 0 did not load train.init_from"; }
echo "TERM before the first step of a fine-tune: the resume starts again from train.init_from"

# kill -9 of the ranks after the checkpoint at step 100: steps 101.. are lost and replayed.
setsid "$MPIEXEC" -n 2 "$HERMES" run deck.toml "${train[@]}" run.name=killed checkpoint.interval=100 > killed.log 2>&1 &
pid=$!
wait_for_step killed 130
pkill -KILL -s "$pid" || true  # mpiexec and its ranks: the session setsid gave them
wait "$pid" || true
[[ $(tail -1 runs/killed/metrics.csv | cut -d, -f1) -gt 100 ]] || fail "killed: metrics.csv ended before step 100"
launch "${train[@]}" run.name=killed run.resume=true > killed-resume.log 2>&1 || { cat killed-resume.log; fail "killed: resume failed"; }
grep -q "resumed from runs/killed/checkpoints/step_00000100.h5" killed-resume.log || { cat killed-resume.log; fail "killed: did not resume from step 100"; }
same_run ref killed
echo "kill -9 after step 100: resumed from step 100, each step once in metrics.csv, equal to the uninterrupted run"
echo "PASSED"
