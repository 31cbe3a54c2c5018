# The whole pipeline on 2 ranks (synth -> tokenizer -> prepare -> pretrain -> evaluate), then
# resume, a refused model change, and SIGUSR1-free checks of the outputs.
include("${CMAKE_CURRENT_LIST_DIR}/expect.cmake")
fresh_work_dir()
file(WRITE "${WORK_DIR}/deck.toml" [=[
[run]
name = "pipe"
stages = ["synth", "tokenizer", "prepare", "pretrain", "evaluate"]
seed = 7
[data]
format = "sharegpt"
inputs = ["{run_dir}/synth.jsonl"]
synth_conversations = 300
test_fraction = 0.05
[tokenizer]
vocab_size = 512
[model]
preset = "nano"
context_length = 64
[train]
batch_size = 4
seq_len = 64
max_steps = 30
log_interval = 10
[optim]
lr = 3e-3
warmup_steps = 5
[eval]
interval = 10
batches = 2
[checkpoint]
interval = 10
keep_last = 2
]=])
expect_run(pipeline EXIT 0
           FINAL_STEP 30 CONTAINS "effective batch 4 x 1 x 2 ranks = 8 sequences" "MFU"
                    "final validation: loss"
           MATCHES "final test: +loss [0-9]" "val +loss [0-9]" "test +loss [0-9]"
           COMMAND "${MPIEXEC}" -n 2 "${HERMES}" run deck.toml)
# The loss must fall: step 1's loss (metrics.csv) against the final validation loss.
file(STRINGS "${WORK_DIR}/runs/pipe/metrics.csv" rows)
list(GET rows 1 row1)
string(REGEX MATCH "^1,([0-9.]+)," _ "${row1}")
set(first "${CMAKE_MATCH_1}")
string(REGEX MATCH "final validation: loss ([0-9.]+)" _ "${LAST_OUTPUT}")
set(final "${CMAKE_MATCH_1}")
if(first STREQUAL "" OR final STREQUAL "")
  message(FATAL_ERROR "could not read the losses from the output")
endif()
if(NOT final LESS first OR first LESS 5.5)
  message(FATAL_ERROR "loss did not fall from ${first} (about ln 512 = 6.24 expected) to below it: final ${final}")
endif()
foreach(f checkpoints/final.h5 checkpoints/best.h5 checkpoints/latest checkpoints/step_00000020.h5 metrics.csv)
  if(NOT EXISTS "${WORK_DIR}/runs/pipe/${f}")
    message(FATAL_ERROR "runs/pipe/${f} is missing")
  endif()
endforeach()
if(EXISTS "${WORK_DIR}/runs/pipe/checkpoints/step_00000010.h5" AND EXISTS "${WORK_DIR}/runs/pipe/checkpoints/step_00000030.h5")
  message(FATAL_ERROR "keep_last = 2 kept more than two periodic checkpoints")
endif()
expect_run(resume EXIT 0 CONTAINS "resumed from runs/pipe/checkpoints/final.h5 at step 30" FINAL_STEP 40
           COMMAND "${MPIEXEC}" -n 2 "${HERMES}" run deck.toml run.resume=true train.max_steps=40
                   "run.stages=[\"pretrain\"]")
expect_run(shape EXIT 2 ONCE "was trained with model.n_embd = 64, but the deck's model has n_embd = 128"
           COMMAND "${MPIEXEC}" -n 2 "${HERMES}" run deck.toml run.resume=true model.n_embd=128
                   "run.stages=[\"pretrain\"]")
expect_run(train_subcommand EXIT 0 FINAL_STEP 5 CONTAINS "final validation"
           COMMAND "${HERMES}" train --preset nano --data runs/pipe/data --tokenizer runs/pipe/tokenizer.json
                   --batch-size 2 --seq-len 64 --max-steps 5 --run-name sub model.context_length=64)
# SIGUSR1 (what SLURM sends before the time limit) through mpiexec: the step finishes, a
# checkpoint is written, exit code 75; resuming continues from it.
file(REMOVE_RECURSE "${WORK_DIR}/runs/sig")
file(WRITE "${WORK_DIR}/signal.sh" "
\"$1\" -n 2 \"$2\" run deck.toml run.name=sig 'run.stages=[\"pretrain\"]' tokenizer.path=runs/pipe/tokenizer.json \\
  data.output_dir=runs/pipe/data train.max_steps=1000000 eval.interval=0 checkpoint.interval=0 > sig.log 2>&1 &
pid=$!
# Handlers are installed once metrics.csv exists; wait for it, then for a step or two.
for i in $(seq 1 600); do [ -s runs/sig/metrics.csv ] && break; sleep 0.1; done
sleep 1
kill -USR1 $pid
wait $pid
echo \"exit code $?\"
cat sig.log
")
expect_run(signal EXIT 0 CONTAINS "exit code 75" "stopped by SIGUSR1 after step" "resume with run.resume=true"
           COMMAND sh signal.sh "${MPIEXEC}" "${HERMES}")
file(READ "${WORK_DIR}/runs/sig/checkpoints/latest" latest)
string(STRIP "${latest}" latest)
if(NOT latest MATCHES "^step_[0-9]+\\.h5$" OR NOT EXISTS "${WORK_DIR}/runs/sig/checkpoints/${latest}")
  message(FATAL_ERROR "after SIGUSR1, latest names '${latest}', not a written step checkpoint")
endif()
