#!/usr/bin/env bash
# Preemption under SLURM never loses work. A pretraining run under single_node.sbatch is stopped
# one way (argument 1), checkpoints, exits 75, requeues itself and resumes; the finished run must
# equal an uninterrupted run of the same deck bit for bit (final weights, loss at every step).
#   scancel     plain scancel: SIGTERM to the ranks and the batch shell
#   usr1_batch  scancel --signal=USR1 --batch: only the batch shell, which passes it on
#   requeue     scontrol requeue of the running job: SLURM stops it and requeues it itself
#   time_limit  --time=1 --signal=B:USR1@45: the time limit's warning signal
#   before_start  scancel --signal=USR1 --batch while the site profile still loads: the job
#               requeues without starting the ranks, and the requeued job starts the run
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mode=$1
require_cluster
script="$SOURCE_DIR/jobs/slurm/single_node.sbatch"

steps=600
[[ $mode == time_limit ]] && steps=1200  # outlasts the 15-45 s until the warning signal
write_preempt_deck "$steps"

ref=$(submit --output=ref.out "$script" deck.toml run.name=ref)
wait_job "$ref" 600
expect_state "$ref" COMPLETED 0:0

extra=()
[[ $mode == time_limit ]] && extra=(--time=1 --signal=B:USR1@45)
profile=""
if [[ $mode == before_start ]]; then
  # A slow site profile (module loads): it marks each attempt, then takes a few seconds.
  echo 'echo x > "profile-${SLURM_RESTART_COUNT:-0}"; sleep 3' > profile.sh
  profile=$PWD/profile.sh
fi
id=$(HERMES_PROFILE=$profile submit --output=run.out "${extra[@]}" "$script" deck.toml run.name=run)
case $mode in
  scancel) wait_for_step "$id" runs/run/metrics.csv 100; scancel "$id" ;;
  usr1_batch) wait_for_step "$id" runs/run/metrics.csv 100; scancel --signal=USR1 --batch "$id" ;;
  requeue) wait_for_step "$id" runs/run/metrics.csv 100; scontrol requeue "$id" ;;
  time_limit) ;;
  before_start)
    wait_for_file profile-0
    scancel --signal=USR1 --batch "$id" ;;
  *) fail "unknown mode '$mode'" ;;
esac
wait_job "$id" 900
cat run.out
expect_state "$id" COMPLETED 0:0
restarts=$(job_field "$id" Restarts)
[[ $restarts -ge 1 ]] || fail "job $id was never requeued (Restarts=$restarts)"
if [[ $mode == before_start ]]; then
  expect_in run.out "a stop came before the ranks started; requeueing job $id"
  [[ -z $(grep -F "stopped by" run.out) ]] || fail "hermes ran in the stopped attempt"
  expect_same_run runs/ref runs/run
  echo "PASSED: $mode: requeued before the ranks started, then ran whole and equal to the uninterrupted run"
  exit 0
fi
expect_in run.out "(exit code 75)"
expect_in run.out "resumed from runs/run/checkpoints/step_"
[[ $mode == time_limit || $mode == usr1_batch ]] && expect_in run.out "stopped by SIGUSR1 after step"
# SIGTERM reaches the ranks from slurmstepd and, as SIGUSR1, from the batch shell: either may win.
[[ $mode == scancel || $mode == requeue ]] && expect_in run.out "stopped by SIG"
expect_same_run runs/ref runs/run
echo "PASSED: $mode: stopped, requeued $restarts time(s), resumed, and equal to the uninterrupted run"
