# The quickstart under mpiexec -n 2; an existing run is never overwritten; --force starts over;
# a run that stopped before its first checkpoint starts again in its directory.
include("${CMAKE_CURRENT_LIST_DIR}/expect.cmake")
fresh_work_dir()
expect_run(first EXIT 0 CONTAINS "2 ranks" "final validation: loss" "run finished" "outputs in runs/quickstart"
           COMMAND "${MPIEXEC}" -n 2 "${HERMES}" run train.max_steps=4)
if(NOT EXISTS "${WORK_DIR}/runs/quickstart/deck.toml" OR NOT EXISTS "${WORK_DIR}/runs/quickstart/hermes.log")
  message(FATAL_ERROR "the run directory lacks deck.toml or hermes.log")
endif()
file(WRITE "${WORK_DIR}/runs/quickstart/precious.txt" "keep me")
expect_run(refuses EXIT 2 ONCE "already exists; resume it with run.resume=true, start over with --force"
           COMMAND "${MPIEXEC}" -n 2 "${HERMES}" run train.max_steps=4)
if(NOT EXISTS "${WORK_DIR}/runs/quickstart/precious.txt")
  message(FATAL_ERROR "a refused run deleted files of the existing run")
endif()
expect_run(force EXIT 0 CONTAINS "run finished" COMMAND "${HERMES}" run --force train.max_steps=4)
if(EXISTS "${WORK_DIR}/runs/quickstart/precious.txt")
  message(FATAL_ERROR "--force did not start over")
endif()
if(NOT EXISTS "${WORK_DIR}/runs/quickstart/finished")
  message(FATAL_ERROR "a finished run has no runs/quickstart/finished marker")
endif()
# A run that failed before its first checkpoint does not block its own retry, which starts again
# in the same directory.
expect_run(fails_early EXIT 2 CONTAINS "injected failure" ENV HERMES_INJECT_FAILURE=rank:0
           COMMAND "${HERMES}" run run.name=retry model.preset=nano train.seq_len=64 train.max_steps=4)
expect_run(retry EXIT 0 CONTAINS "stopped before its first checkpoint: starting again" "run finished"
           COMMAND "${HERMES}" run run.name=retry model.preset=nano train.seq_len=64 train.max_steps=4)
expect_run(resume_missing EXIT 2 CONTAINS "no run to resume"
           COMMAND "${HERMES}" run run.name=never-ran run.resume=true)
expect_run(overrides EXIT 0 CONTAINS "model nano:" "outputs in runs/other"
           COMMAND "${HERMES}" run run.name=other model.preset=nano train.seq_len=64 train.max_steps=4)
file(READ "${WORK_DIR}/runs/other/deck.toml" effective)
string(FIND "${effective}" "preset = \"nano\"" at)
if(at EQUAL -1)
  message(FATAL_ERROR "the effective deck does not record the override:\n${effective}")
endif()
# run.resume = "auto": a missing run starts, an existing one continues; never with --force.
expect_run(auto_missing EXIT 0 CONTAINS "outputs in runs/auto" ABSENT "(resuming)"
           COMMAND "${HERMES}" run run.name=auto run.resume=auto model.preset=nano train.seq_len=64 train.max_steps=4)
expect_run(auto_existing EXIT 0 CONTAINS "runs/auto (resuming)" "resumed from runs/auto/checkpoints/final.h5 at step 4"
                                          FINAL_STEP 6
           COMMAND "${HERMES}" run run.name=auto run.resume=auto model.preset=nano train.seq_len=64 train.max_steps=6)
expect_run(auto_force EXIT 2 CONTAINS "--force and run.resume = \"auto\" contradict each other"
           COMMAND "${HERMES}" run --force run.name=auto run.resume=auto model.preset=nano train.seq_len=64)
expect_run(resume_word EXIT 2 CONTAINS "[run] resume must be true, false or \"auto\", got"
           COMMAND "${HERMES}" run run.name=auto run.resume=always)
