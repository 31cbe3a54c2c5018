# The native CUDA backend (HERMES_ENABLE_CUDA=ON, the `cuda` preset): nvcc, cuBLAS/cuBLASLt,
# cuDNN and NCCL from the CUDA toolkit (/usr/local/cuda on the build machines).
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
  set(CMAKE_CUDA_ARCHITECTURES 90 80)
endif()
enable_language(CUDA)
find_package(CUDAToolkit REQUIRED)
# CMake 3.25 does not know nvcc 13's C++20 flag; the kernels need only C++17.
set(CMAKE_CUDA_STANDARD 17)
set(CMAKE_CUDA_STANDARD_REQUIRED ON)

find_path(HERMES_CUDNN_INCLUDE_DIR cudnn.h HINTS ${CUDAToolkit_INCLUDE_DIRS} PATH_SUFFIXES include)
find_library(HERMES_CUDNN_LIBRARY cudnn HINTS ${CUDAToolkit_LIBRARY_DIR})
find_path(HERMES_NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS} PATH_SUFFIXES include)
find_library(HERMES_NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR})
foreach(v HERMES_CUDNN_INCLUDE_DIR HERMES_CUDNN_LIBRARY HERMES_NCCL_INCLUDE_DIR HERMES_NCCL_LIBRARY)
  if(NOT ${v})
    message(FATAL_ERROR "HERMES_ENABLE_CUDA=ON needs cuDNN and NCCL: ${v} not found (set CUDAToolkit_ROOT "
                        "or CMAKE_PREFIX_PATH to where they are installed)")
  endif()
endforeach()
message(STATUS "CUDA ${CUDAToolkit_VERSION}, cuDNN ${HERMES_CUDNN_LIBRARY}, NCCL ${HERMES_NCCL_LIBRARY}, "
               "architectures ${CMAKE_CUDA_ARCHITECTURES}")

add_library(hermes::cuda_deps INTERFACE IMPORTED GLOBAL)
target_include_directories(hermes::cuda_deps SYSTEM INTERFACE ${CUDAToolkit_INCLUDE_DIRS}
                           ${HERMES_CUDNN_INCLUDE_DIR} ${HERMES_NCCL_INCLUDE_DIR})
target_link_libraries(hermes::cuda_deps INTERFACE CUDA::cudart CUDA::cublas CUDA::cublasLt
                      ${HERMES_CUDNN_LIBRARY} ${HERMES_NCCL_LIBRARY})

# src/backend/cuda/: kernels in .cu (nvcc; they include only CUDA headers and our .cuh files,
# because nvcc's front end rejects fmt's consteval format strings), host-side glue in .cpp
# (g++: cuBLASLt plans, NCCL, logging). The main CMakeLists leaves this folder out of CPU builds.
file(GLOB_RECURSE HERMES_CUDA_SOURCES CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/src/backend/cuda/*.cu"
     "${CMAKE_SOURCE_DIR}/src/backend/cuda/*.cpp")
if(HERMES_CUDA_SOURCES)
  target_sources(hermes_lib PRIVATE ${HERMES_CUDA_SOURCES})
  target_link_libraries(hermes_lib PUBLIC hermes::cuda_deps)
  target_compile_definitions(hermes_lib PUBLIC HERMES_HAVE_CUDA=1)
  # hermes_lib's warning flags are gcc's; nvcc would reject them, so they apply to C++ only and
  # nvcc forwards its own set to the host compiler.
  get_target_property(_hermes_opts hermes_lib COMPILE_OPTIONS)
  if(_hermes_opts)
    set(_wrapped "")
    foreach(o IN LISTS _hermes_opts)
      list(APPEND _wrapped "$<$<COMPILE_LANGUAGE:CXX>:${o}>")
    endforeach()
    set_property(TARGET hermes_lib PROPERTY COMPILE_OPTIONS ${_wrapped})
  endif()
  target_compile_options(hermes_lib PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr -lineinfo -Xcompiler=-Wall,-Wno-unused-parameter>)
  set_target_properties(hermes_lib PROPERTIES CUDA_SEPARABLE_COMPILATION OFF CUDA_STANDARD 17)
endif()
