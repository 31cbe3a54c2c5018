#!/usr/bin/env bash
# Every job script in jobs/slurm/ runs for real under the test cluster, on the CPU path, as a
# user submits it (argument 1 picks the script):
#   single_node     the quickstart deck on 2 tasks, to its end
#   scaling_sweep   strong and weak at 1 and 2 tasks: every CSV row, and a plot of it
#   batch_generate  records in input order, the same file as a plain mpirun run; a stop in the
#                   middle requeues the job, which continues after the records already written
#   multi_node      its launch line with --nodes=1; the user's overrides beat the script's defaults
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mode=$1
require_cluster
jobs="$SOURCE_DIR/jobs/slurm"

case $mode in
single_node)
  id=$(submit --output=qs.out "$jobs/single_node.sbatch" "$SOURCE_DIR/inputs/quickstart.toml")
  wait_job "$id" 900
  cat qs.out
  expect_state "$id" COMPLETED 0:0
  expect_in qs.out "2 ranks on"
  expect_in qs.out "== stage generate done"
  [[ -f runs/quickstart/checkpoints/final.h5 ]] || fail "no final checkpoint in runs/quickstart"
  ;;
scaling_sweep)
  write_preempt_deck 20
  id=$(STEPS=12 BATCH_PER_RANK=4 SCALING_CSV=scaling.csv submit --output=sweep.out "$jobs/scaling_sweep.sbatch" \
    deck.toml train.log_interval=1)
  wait_job "$id" 600
  cat sweep.out
  expect_state "$id" COMPLETED 0:0
  # Header and one row per mode and rank count; strong keeps the global batch of 8.
  [[ $(wc -l < scaling.csv) -eq 5 ]] || fail "scaling.csv has $(wc -l < scaling.csv) lines, expected 5"
  for row in "strong,1,8,8," "strong,2,4,8," "weak,1,4,4," "weak,2,4,8,"; do expect_in scaling.csv "$row"; done
  awk -F, 'NR > 1 && !($5 > 0) { exit 1 }' scaling.csv || fail "scaling.csv has a row without a throughput"
  /usr/bin/python3 "$SOURCE_DIR/jobs/plot/plot_scaling.py" scaling.csv scaling.png
  [[ $(stat -c %s scaling.png) -gt 10000 ]] || fail "scaling.png is too small to hold a plot"
  ;;
batch_generate)
  write_preempt_deck 60
  cat >> deck.toml <<'TOML'
[generate]
prompts_file = "prompts.jsonl"
max_tokens = 48
temperature = 0.9
top_k = 40
seed = 5
TOML
  "$HERMES" run deck.toml > train.log 2>&1 || { cat train.log; fail "training the model to generate from failed"; }
  for i in $(seq 1 3000); do echo "{\"id\": \"p$i\", \"prompt\": \"What is $i plus $((i * 7))?\"}"; done > prompts.jsonl
  mpiexec -n 2 "$HERMES" generate --config deck.toml generate.output_file=mpirun.jsonl > mpirun.log 2>&1 ||
    { cat mpirun.log; fail "plain mpirun generation failed"; }
  id=$(submit --output=gen.out "$jobs/batch_generate.sbatch" deck.toml generate.output_file=slurm.jsonl)
  wait_for_file slurm.jsonl.partial
  scancel --signal=USR1 --batch "$id"
  wait_job "$id" 600
  cat gen.out
  expect_state "$id" COMPLETED 0:0
  expect_in gen.out "stopped by SIGUSR1 after"
  expect_in gen.out "generate: resuming after"
  [[ $(job_field "$id" Restarts) -ge 1 ]] || fail "the stopped generation job was not requeued"
  cmp mpirun.jsonl slurm.jsonl || fail "batch_generate.sbatch and plain mpirun wrote different files"
  [[ $(wc -l < slurm.jsonl) -eq 3000 ]] || fail "slurm.jsonl has $(wc -l < slurm.jsonl) records, expected 3000"
  ;;
multi_node)
  write_preempt_deck 30
  # The user's override beats the script's default: HERMES_BACKEND=cuda would fail on this
  # CPU-only build, parallel.backend=host after the deck must win.
  id=$(HERMES_BACKEND=cuda submit --nodes=1 --output=mn.out "$jobs/multi_node.sbatch" deck.toml run.name=mn \
    parallel.backend=host)
  wait_job "$id" 600
  cat mn.out
  expect_state "$id" COMPLETED 0:0
  expect_in mn.out "2 ranks on"
  expect_in mn.out "backend host"
  expect_last_step runs/mn/metrics.csv 30
  ;;
*) fail "unknown mode '$mode'" ;;
esac
echo "PASSED: $mode"
