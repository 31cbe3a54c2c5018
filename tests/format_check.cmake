# Every C++ source of the repository is laid out as .clang-format says: clang-format --dry-run
# --Werror over them, reported skipped where clang-format 14 is not installed. Fix a failure with
#   clang-format-14 -i <file>
# Args: SOURCE_DIR.
find_program(clang_format NAMES clang-format-14)
if(NOT clang_format)
  message(STATUS "SKIPPED: clang-format-14 is not installed (scripts/install-deps.sh --test installs it)")
  return()
endif()
set(sources "")
foreach(dir include src tests benchmarks examples)
  file(GLOB_RECURSE found "${SOURCE_DIR}/${dir}/*.cpp" "${SOURCE_DIR}/${dir}/*.hpp" "${SOURCE_DIR}/${dir}/*.cu"
       "${SOURCE_DIR}/${dir}/*.cuh")
  list(APPEND sources ${found})
endforeach()
list(LENGTH sources n)
if(n LESS 100)
  message(FATAL_ERROR "found only ${n} sources under ${SOURCE_DIR}: is SOURCE_DIR the repository?")
endif()
execute_process(COMMAND "${clang_format}" --dry-run --Werror --style=file ${sources}
                WORKING_DIRECTORY "${SOURCE_DIR}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  string(REGEX MATCHALL "[^\n]*: error: code should be clang-formatted[^\n]*" where "${out}")
  list(LENGTH where misplaced)
  string(REPLACE ";" "\n" where "${where}")
  message(FATAL_ERROR "${misplaced} places are not laid out as .clang-format says; run clang-format-14 -i on "
                      "their files:\n${where}")
endif()
message(STATUS "${n} sources laid out as .clang-format says")
