# Every command of README.md's bash blocks runs, in order, in a fresh directory that starts where
# scripts/setup.sh leaves a user (readme_run.py lists the few it cannot run and why).
include("${CMAKE_CURRENT_LIST_DIR}/expect.cmake")
fresh_work_dir()
execute_process(COMMAND python3 "${CMAKE_CURRENT_LIST_DIR}/readme_run.py" "${HERMES}" "${SOURCE_DIR}" "${WORK_DIR}/user"
                WORKING_DIRECTORY "${WORK_DIR}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 1500)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "README commands that do not work as written are listed above")
endif()
