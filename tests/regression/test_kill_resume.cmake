# kill -9 at random moments, several aimed at the middle of a checkpoint write, then resume:
# the final checkpoint's every tensor is bit-identical to an uninterrupted run's and metrics.csv
# holds each step once with the same loss and gradient norm (tests/regression/kill_resume.py).
include("${CMAKE_CURRENT_LIST_DIR}/expect.cmake")
fresh_work_dir()
execute_process(COMMAND /usr/bin/python3 -c "import h5py, numpy" RESULT_VARIABLE no_h5py OUTPUT_QUIET ERROR_QUIET)
if(NOT no_h5py EQUAL 0)
  message("SKIPPED: /usr/bin/python3 lacks h5py or numpy (scripts/install-deps.sh --test installs them)")
  return()
endif()
execute_process(COMMAND /usr/bin/python3 "${CMAKE_CURRENT_LIST_DIR}/kill_resume.py" "${HERMES}" "${WORK_DIR}/k"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out TIMEOUT 600)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "kill -9 and resume: exit ${rc}")
endif()
