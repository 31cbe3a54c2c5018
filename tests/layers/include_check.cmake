# One #include compiled with one library's own include path and definitions (FLAGS, written at
# generate time by tests/CMakeLists.txt). EXPECT=hidden: the header must not be found, because the
# library does not link the one that owns it (an upward include). EXPECT=visible: it must compile.
# Args: CXX, LIB, FLAGS, HEADER, EXPECT, WORK_DIR.
file(MAKE_DIRECTORY "${WORK_DIR}")
string(MAKE_C_IDENTIFIER "${HEADER}" stem)
set(source "${WORK_DIR}/${stem}.cpp")
file(WRITE "${source}" "#include \"${HEADER}\"\n")
execute_process(COMMAND "${CXX}" -std=c++20 -fsyntax-only "@${FLAGS}" "${source}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(EXPECT STREQUAL "hidden")
  if(rc EQUAL 0)
    message(FATAL_ERROR "${HEADER} compiled with hermes_${LIB}'s include path: a layer above is visible from below")
  endif()
  if(NOT out MATCHES "${HEADER}: No such file|'${HEADER}' file not found")  # gcc, clang
    message(FATAL_ERROR "${HEADER} failed for another reason than being out of reach:\n${out}")
  endif()
elseif(NOT rc EQUAL 0)
  message(FATAL_ERROR "${HEADER} did not compile with hermes_${LIB}'s include path:\n${out}")
endif()
message(STATUS "${HEADER}: ${EXPECT} as it should be")
