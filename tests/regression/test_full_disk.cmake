# A disk that fills during training loses nothing: checkpoints go to a 4 MiB tmpfs (mounted in a
# private mount namespace, so it vanishes with the run); when the next checkpoint cannot fit,
# the run stops with one line naming the space needed, `latest` still names a complete
# checkpoint, no temporary file is left, and a resume from there reaches step for step what an
# uninterrupted run reaches. Reported skipped where a tmpfs cannot be mounted (not root).
include("${CMAKE_CURRENT_LIST_DIR}/expect.cmake")
fresh_work_dir()
find_program(UNSHARE unshare)
if(NOT UNSHARE)
  message("SKIPPED: unshare (util-linux) is not installed")
  return()
endif()
file(WRITE "${WORK_DIR}/deck.toml" [=[
[run]
name = "prep"
stages = ["synth", "tokenizer", "prepare"]
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
max_steps = 8
log_interval = 2
[optim]
lr = 3e-3
[eval]
interval = 0
batches = 1
test_at_end = false
[checkpoint]
interval = 2
keep_last = 2
save_best = false
save_final = false
]=])
expect_run(prepare EXIT 0 CONTAINS "run finished" COMMAND "${HERMES}" run deck.toml)
set(pretrain "run.stages=[\"pretrain\"]" "data.output_dir=\"runs/prep/data\"" "tokenizer.path=\"runs/prep/tokenizer.json\"")

# The run on the small disk, inside its own mount namespace.
file(MAKE_DIRECTORY "${WORK_DIR}/ck")
string(REPLACE ";" "' '" args "'${pretrain}'")
file(WRITE "${WORK_DIR}/full.sh" "
mount -t tmpfs -o size=4m tmpfs ck || exit 77
'${HERMES}' run deck.toml run.name=full ${args} checkpoint.dir='\"${WORK_DIR}/ck\"' > full.txt 2>&1
echo $? > full.rc
cp -r ck ck_after
")
execute_process(COMMAND "${UNSHARE}" --mount sh full.sh WORKING_DIRECTORY "${WORK_DIR}" RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 77 OR NOT EXISTS "${WORK_DIR}/full.rc")
  message("SKIPPED: cannot mount a tmpfs in a private mount namespace here (${rc}: ${out})")
  return()
endif()
file(READ "${WORK_DIR}/full.rc" full_rc)
file(READ "${WORK_DIR}/full.txt" full_out)
string(STRIP "${full_rc}" full_rc)
if(NOT full_rc EQUAL 1)
  message(FATAL_ERROR "the run on a full disk exited ${full_rc} (expected 1: the machine, not an input, failed):\n${full_out}")
endif()
string(REGEX MATCHALL "error:" errors "${full_out}")
list(LENGTH errors n)
if(NOT n EQUAL 1 OR NOT full_out MATCHES "needs about [0-9.]+ MiB but .*/ck has [0-9.]+ MiB free; free space" OR
   full_out MATCHES "HDF5-DIAG|Segmentation")
  message(FATAL_ERROR "expected one clean error line about the space:\n${full_out}")
endif()
file(GLOB leftovers "${WORK_DIR}/ck_after/*.tmp")
file(READ "${WORK_DIR}/ck_after/latest" latest)
string(STRIP "${latest}" latest)
if(leftovers OR NOT EXISTS "${WORK_DIR}/ck_after/${latest}")
  message(FATAL_ERROR "after the full disk: latest '${latest}', leftovers '${leftovers}'")
endif()

# Resume from what the full disk kept, on a disk with room, and run to the end.
expect_run(resume EXIT 0 CONTAINS "resumed from ${WORK_DIR}/ck_after/${latest}" FINAL_STEP 8
           COMMAND "${HERMES}" run deck.toml run.name=full run.resume=true ${pretrain}
                   checkpoint.dir="${WORK_DIR}/ck_after" checkpoint.interval=0)
expect_run(reference EXIT 0 FINAL_STEP 8
           COMMAND "${HERMES}" run deck.toml run.name=ref ${pretrain} checkpoint.interval=0)
foreach(run full ref)
  file(STRINGS "${WORK_DIR}/runs/${run}/metrics.csv" rows)
  list(GET rows -1 row)
  string(REGEX REPLACE "^([^,]*,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,)[^,]*" "\\1" row "${row}")  # tokens/s is a timing
  set(row_${run} "${row}")
endforeach()
if(NOT row_full STREQUAL row_ref)
  message(FATAL_ERROR "the resumed run ended at\n${row_full}\nthe uninterrupted run at\n${row_ref}")
endif()
