# hermes as a library: `cmake --install` into a fresh prefix, examples/library configured against
# it with find_package(hermes) and built, then run under mpiexec on shards the hermes program
# prepared. The example must encode, read a batch and train with a falling loss.
include("${CMAKE_CURRENT_LIST_DIR}/expect.cmake")
fresh_work_dir()
get_filename_component(build_dir "${HERMES}" DIRECTORY)
set(prefix "${WORK_DIR}/prefix")

expect_run(install EXIT 0 COMMAND "${CMAKE_COMMAND}" --install "${build_dir}" --prefix "${prefix}")
foreach(file lib/cmake/hermes/hermesConfig.cmake lib/libhermes_core.a lib/libhermes_train.a
             include/hermes/train/trainer.hpp include/hermes/tokenizer/tokenizer.hpp)
  if(NOT EXISTS "${prefix}/${file}")
    message(FATAL_ERROR "the install lacks ${file}")
  endif()
endforeach()
expect_run(configure EXIT 0 CONTAINS "Build files have been written"
           COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}/examples/library" -B "${WORK_DIR}/example"
                   -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
expect_run(build EXIT 0 COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}/example" -j 2)

expect_run(prepare EXIT 0 CONTAINS "stage prepare done"
           COMMAND "${HERMES}" run "run.stages=[\"synth\",\"tokenizer\",\"prepare\"]" run.output_dir=. run.name=qs)
expect_run(example EXIT 0 CONTAINS "tokenizer: " "loader: " "trained 30 steps"
           COMMAND "${MPIEXEC}" -n 2 "${WORK_DIR}/example/train_on_shards" "${WORK_DIR}/qs")
string(REGEX MATCH "loss ([0-9.]+) at the first, ([0-9.]+) at the last" losses "${LAST_OUTPUT}")
if(NOT losses OR NOT CMAKE_MATCH_2 LESS CMAKE_MATCH_1)
  message(FATAL_ERROR "the example's loss did not fall: '${losses}'")
endif()
if(NOT EXISTS "${WORK_DIR}/qs/library/checkpoints/final.h5")
  message(FATAL_ERROR "the example's trainer wrote no final checkpoint")
endif()
message(STATUS "example: ${losses}")
