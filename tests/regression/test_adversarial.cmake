# Hundreds of bad inputs, derived from one small good run: damaged decks, overrides, flags,
# tokenizers, corpora, shards, manifests, checkpoints, prompts files, HuggingFace directories and
# unwritable output paths. Each must end in one `hermes: error:` line with exit 1 or 2: no crash,
# no hang, no HDF5 error stack, no internal or unexpected failure (adversarial.py says how each
# variant is made and judged, and lists every one that misbehaves).
include("${CMAKE_CURRENT_LIST_DIR}/expect.cmake")
fresh_work_dir()
set(PY /usr/bin/python3)
execute_process(COMMAND ${PY} -c "import h5py, numpy, tomllib" RESULT_VARIABLE no_modules OUTPUT_QUIET ERROR_QUIET)
if(NOT no_modules EQUAL 0)
  message("SKIPPED: /usr/bin/python3 lacks h5py, numpy or tomllib (scripts/install-deps.sh --test installs them)")
  return()
endif()
execute_process(COMMAND ${PY} "${CMAKE_CURRENT_LIST_DIR}/adversarial.py" "${HERMES}" "${WORK_DIR}/adversarial"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 850)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "adversarial.py exited with '${rc}'; its report is above")
endif()
