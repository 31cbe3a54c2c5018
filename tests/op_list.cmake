# The op list, read from the headers (as ggml's test-backend-ops walks every op): each function
# an op header declares is an op, and every op must be called by a test, so a new op cannot land
# untested. Host ops (include/hermes/backend/host/*.hpp) by tests/unit/test_ops_*.cpp, CUDA ops
# (include/hermes/backend/cuda/*.cuh) by tests/gpu/test_cuda_*.cpp; and every host op has a CUDA op
# of the same name unless it is listed host-only below. Args: SOURCE_DIR.
cmake_minimum_required(VERSION 3.20)

# Headers that hold helpers, not ops.
set(helper_headers host/common.hpp host/runtime.hpp host/blas_kernels.hpp host/block_ops.hpp cuda/common.cuh
                   cuda/device.cuh cuda/buffer.cuh cuda/context.cuh)
# Functions in op headers that are not ops: sizes, tables and conversions the ops' callers use,
# and one piece an op runs (bias_grad is linear_backward's dbias).
set(not_ops attention_scratch_elems attention_saved_elems rope_table logits_ld cached_attention_splits
            choose_attention to_bf16 to_float bias_grad)
# Host ops the CUDA backend does not have: its engine refuses model.smear.
set(host_only smear_forward smear_backward smear_rows_forward)

# The functions declared at namespace scope (unindented) in one header.
function(declared_functions header out)
  file(STRINGS "${header}" lines REGEX "^(template <[^>]*> )?(inline |static )*[A-Za-z_:<>]+ +[a-z_][a-z_0-9]*\\(")
  set(names "")
  foreach(line IN LISTS lines)
    string(REGEX MATCH " ([a-z_][a-z_0-9]*)\\(" _ "${line}")
    list(APPEND names "${CMAKE_MATCH_1}")
  endforeach()
  list(REMOVE_DUPLICATES names)
  set(${out} "${names}" PARENT_SCOPE)
endfunction()

# The ops of one backend: name -> header, as two parallel lists.
function(backend_ops dir ext out_names out_headers)
  file(GLOB headers "${SOURCE_DIR}/include/hermes/backend/${dir}/*.${ext}")
  set(names "")
  set(where "")
  foreach(header IN LISTS headers)
    get_filename_component(file "${header}" NAME)
    if("${dir}/${file}" IN_LIST helper_headers)
      continue()
    endif()
    declared_functions("${header}" found)
    foreach(name IN LISTS found)
      if(NOT name IN_LIST not_ops AND NOT name IN_LIST names)
        list(APPEND names "${name}")
        list(APPEND where "include/hermes/backend/${dir}/${file}")
      endif()
    endforeach()
  endforeach()
  set(${out_names} "${names}" PARENT_SCOPE)
  set(${out_headers} "${where}" PARENT_SCOPE)
endfunction()

# Every op in names is called (name followed by "(" or "<") somewhere in the files of glob.
function(check_called names headers glob what out_var)
  file(GLOB tests "${SOURCE_DIR}/${glob}")
  set(text "")
  foreach(test IN LISTS tests)
    file(READ "${test}" body)
    string(APPEND text "${body}")
  endforeach()
  set(found "${${out_var}}")
  foreach(name header IN ZIP_LISTS names headers)
    if(NOT text MATCHES "[^A-Za-z_0-9]${name}[(<]")
      list(APPEND found "${header} declares ${name}, which no ${glob} calls: ${what}")
    endif()
  endforeach()
  set(${out_var} "${found}" PARENT_SCOPE)
endfunction()

backend_ops(host hpp host_ops host_headers)
backend_ops(cuda cuh cuda_ops cuda_headers)
list(LENGTH host_ops n_host)
list(LENGTH cuda_ops n_cuda)
if(n_host LESS 10 OR n_cuda LESS 10)
  message(FATAL_ERROR "found ${n_host} host and ${n_cuda} CUDA ops under ${SOURCE_DIR}/include/hermes/backend: "
                      "is SOURCE_DIR the repository?")
endif()

set(problems "")
check_called("${host_ops}" "${host_headers}" "tests/unit/test_ops_*.cpp"
             "check it there against finite differences in double" problems)
check_called("${cuda_ops}" "${cuda_headers}" "tests/gpu/test_cuda_*.cpp"
             "check it there against the host backend" problems)
foreach(name header IN ZIP_LISTS host_ops host_headers)
  if(NOT name IN_LIST cuda_ops AND NOT name IN_LIST host_only)
    string(CONCAT problem "${header} declares ${name}, which the CUDA backend lacks: write it in "
           "include/hermes/backend/cuda/, or list it host-only in tests/op_list.cmake with why")
    list(APPEND problems "${problem}")
  endif()
endforeach()
if(problems)
  list(LENGTH problems n)
  string(REPLACE ";" "\n" problems "${problems}")
  message(FATAL_ERROR "the op list has ${n} problems:\n${problems}")
endif()
string(REPLACE ";" " " host_ops "${host_ops}")
message(STATUS "${n_host} host ops and ${n_cuda} CUDA ops, each called by a test: ${host_ops}")
