# A run resumes whatever happened to its checkpoint folder: with `latest` missing, empty, naming
# a missing file or naming a damaged (truncated) checkpoint, resume warns, names both files and
# continues from the newest readable checkpoint, reaching exactly the metrics of a resume from
# that checkpoint with `latest` intact; leftover .tmp files are ignored; with no readable
# checkpoint at all it stops with one line. Checkpoint writes go through fsync + rename.
include("${CMAKE_CURRENT_LIST_DIR}/expect.cmake")
fresh_work_dir()
file(WRITE "${WORK_DIR}/deck.toml" [=[
[run]
name = "base"
stages = ["synth", "tokenizer", "prepare", "pretrain"]
seed = 9
[data]
format = "sharegpt"
inputs = ["{run_dir}/synth.jsonl"]
synth_conversations = 200
[tokenizer]
vocab_size = 512
[model]
preset = "nano"
context_length = 64
[train]
batch_size = 4
seq_len = 64
max_steps = 12
log_interval = 4
[optim]
lr = 3e-3
[eval]
interval = 0
batches = 1
test_at_end = false
[checkpoint]
interval = 4
keep_last = 2
save_best = false
]=])
expect_run(train EXIT 0 CONTAINS "run finished" COMMAND "${HERMES}" run deck.toml)
set(ck "${WORK_DIR}/runs/base/checkpoints")
file(READ "${ck}/latest" latest)
if(NOT latest STREQUAL "final.h5\n" OR NOT EXISTS "${ck}/step_00000008.h5")
  message(FATAL_ERROR "latest reads '${latest}' (expected final.h5, with step_00000008.h5 beside it)")
endif()

# Each case copies the finished run, damages its checkpoint folder, and resumes to step 16.
function(resume_case name expect_from)
  file(REMOVE_RECURSE "${WORK_DIR}/runs/${name}")
  file(COPY "${WORK_DIR}/runs/base/" DESTINATION "${WORK_DIR}/runs/${name}")
  set(c "${WORK_DIR}/runs/${name}/checkpoints")
  cmake_language(EVAL CODE "${ARGN}")
  expect_run(${name} EXIT 0 CONTAINS "resumed from runs/${name}/checkpoints/${expect_from}" FINAL_STEP 16
             COMMAND "${HERMES}" run deck.toml run.name=${name} run.resume=true train.max_steps=16
                     "run.stages=[\"pretrain\"]")
  set(LAST_OUTPUT "${LAST_OUTPUT}" PARENT_SCOPE)
  file(STRINGS "${WORK_DIR}/runs/${name}/metrics.csv" rows)
  list(GET rows -1 last_row)
  # Every column but tokens/s (the 7th), which is a timing.
  string(REGEX REPLACE "^([^,]*,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,)[^,]*" "\\1" last_row "${last_row}")
  set(LAST_ROW "${last_row}" PARENT_SCOPE)
endfunction()

# The reference: `latest` intact, resumed from final.h5 (step 12); and from step 8 (what the
# damaged cases fall back to when final.h5 is unusable).
resume_case(intact final.h5 "")
set(row12 "${LAST_ROW}")
resume_case(from8 step_00000008.h5 [=[file(WRITE "${c}/latest" "step_00000008.h5\n")]=])
set(row8 "${LAST_ROW}")

resume_case(no_latest final.h5 [=[file(REMOVE "${c}/latest")]=])
if(NOT LAST_OUTPUT MATCHES "latest is missing; resuming from the newest readable checkpoint")
  message(FATAL_ERROR "no warning for a missing latest:\n${LAST_OUTPUT}")
endif()
resume_case(empty_latest final.h5 [=[file(WRITE "${c}/latest" "")]=])
if(NOT LAST_OUTPUT MATCHES "latest is empty")
  message(FATAL_ERROR "no warning for an empty latest:\n${LAST_OUTPUT}")
endif()
resume_case(gone final.h5 [=[
  file(WRITE "${c}/latest" "step_00000099.h5\n")
  file(WRITE "${c}/step_00000099.h5.tmp" "half a checkpoint")
  file(WRITE "${c}/latest.tmp" "")
]=])
if(NOT LAST_OUTPUT MATCHES "step_00000099.h5 does not exist")
  message(FATAL_ERROR "no warning naming the missing checkpoint:\n${LAST_OUTPUT}")
endif()
resume_case(truncated step_00000008.h5 [=[
  # The newest checkpoint cut in half, as a disk that filled mid-write without fsync leaves it.
  file(SIZE "${WORK_DIR}/runs/base/checkpoints/final.h5" size)
  math(EXPR cut "${size} / 2")
  execute_process(COMMAND head -c ${cut} "${WORK_DIR}/runs/base/checkpoints/final.h5" OUTPUT_FILE "${c}/final.h5")
]=])
if(NOT LAST_OUTPUT MATCHES "final.h5 is (damaged|unreadable)" OR
   NOT LAST_OUTPUT MATCHES "names final.h5, which cannot be used; resuming from the newest readable checkpoint")
  message(FATAL_ERROR "no warning naming the damaged checkpoint and the one used:\n${LAST_OUTPUT}")
endif()
# Falling back loses only the steps since the older checkpoint: training on from step 8 reaches
# step 16 bit for bit as the resume from final.h5 (step 12) does, timings aside.
if(NOT LAST_ROW STREQUAL row8 OR NOT LAST_ROW STREQUAL row12)
  message(FATAL_ERROR "the fallback resume ended at\n${LAST_ROW}\nthe resume from step 8 at\n${row8}\n"
                      "the resume from step 12 at\n${row12}")
endif()

# Nothing readable: one line, non-zero exit.
file(REMOVE_RECURSE "${WORK_DIR}/runs/none")
file(COPY "${WORK_DIR}/runs/base/" DESTINATION "${WORK_DIR}/runs/none")
foreach(f step_00000004.h5 step_00000008.h5 final.h5)
  file(WRITE "${WORK_DIR}/runs/none/checkpoints/${f}" "not an HDF5 file")
endforeach()
expect_run(none EXIT 2 CONTAINS "run.resume: no readable checkpoint in" "step_00000008.h5 is unreadable"
           ABSENT "HDF5-DIAG"
           COMMAND "${HERMES}" run deck.toml run.name=none run.resume=true train.max_steps=16 "run.stages=[\"pretrain\"]")

# A checkpoint whose weights hold a NaN diverges on the first step after the resume: the message
# must not offer that same file as "the last good checkpoint".
if(EXISTS /usr/bin/python3)
  execute_process(COMMAND /usr/bin/python3 -c "import h5py" RESULT_VARIABLE no_h5py OUTPUT_QUIET ERROR_QUIET)
  if(NOT no_h5py)
    file(REMOVE_RECURSE "${WORK_DIR}/runs/poisoned")
    file(COPY "${WORK_DIR}/runs/base/" DESTINATION "${WORK_DIR}/runs/poisoned")
    execute_process(COMMAND /usr/bin/python3 -c
                    "import h5py, sys; f = h5py.File(sys.argv[1], 'r+'); d = f['model/final_norm.weight']; d[0] = float('nan'); f.close()"
                    "${WORK_DIR}/runs/poisoned/checkpoints/final.h5" RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "could not write a NaN into the checkpoint")
    endif()
    expect_run(poisoned EXIT 4 CONTAINS "training diverged" "final.h5 itself diverges at once"
               ABSENT "last good checkpoint: runs/poisoned/checkpoints/final.h5"
               COMMAND "${HERMES}" run deck.toml run.name=poisoned run.resume=true train.max_steps=16 "run.stages=[\"pretrain\"]")
  endif()
endif()

# Damaged HDF5 files read outside resume (generate, pretrain's shards) are one line each: no HDF5
# error stack, no "infinite loop closing library" from handles left open on the error path.
file(SIZE "${ck}/final.h5" size)
math(EXPR cut "${size} / 3")
execute_process(COMMAND head -c ${cut} "${ck}/final.h5" OUTPUT_FILE "${WORK_DIR}/cut.h5")
expect_run(damaged_checkpoint EXIT 2 ONCE "error" CONTAINS "cut.h5" ABSENT "HDF5-DIAG" "infinite loop"
           COMMAND "${HERMES}" generate --checkpoint cut.h5 --tokenizer runs/base/tokenizer.json --prompt "hi"
                   --max-tokens 4)
file(REMOVE_RECURSE "${WORK_DIR}/cutdata")
file(COPY "${WORK_DIR}/runs/base/data/" DESTINATION "${WORK_DIR}/cutdata")
file(GLOB shards "${WORK_DIR}/cutdata/*train*.h5")
list(GET shards 0 shard)
file(SIZE "${shard}" size)
math(EXPR cut "${size} / 2")
get_filename_component(shard_name "${shard}" NAME)
execute_process(COMMAND head -c ${cut} "${WORK_DIR}/runs/base/data/${shard_name}" OUTPUT_FILE "${shard}")
expect_run(damaged_shard EXIT 2 ONCE "error" CONTAINS "${shard_name}" ABSENT "HDF5-DIAG" "infinite loop"
           COMMAND "${HERMES}" run deck.toml run.name=cutrun "run.stages=[\"pretrain\"]" "data.output_dir=\"cutdata\""
                   "tokenizer.path=\"runs/base/tokenizer.json\"")
