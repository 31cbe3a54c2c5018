# Every hermes command in README.md and docs/*.md is still valid as written: its subcommand and
# flags exist, and the decks and overrides it runs validate (docs_commands.py says how).
include("${CMAKE_CURRENT_LIST_DIR}/expect.cmake")
fresh_work_dir()
execute_process(COMMAND python3 "${CMAKE_CURRENT_LIST_DIR}/docs_commands.py" "${HERMES}" "${SOURCE_DIR}"
                WORKING_DIRECTORY "${WORK_DIR}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 300)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "documented hermes commands that no longer work are listed above")
endif()
