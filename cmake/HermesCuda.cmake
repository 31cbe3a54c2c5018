# The native CUDA backend (HERMES_ENABLE_CUDA=ON, the `cuda` preset): nvcc, cuBLAS/cuBLASLt,
# cuDNN and NCCL from the CUDA toolkit (/usr/local/cuda on the build machines).
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
  set(CMAKE_CUDA_ARCHITECTURES 90 80)
endif()
enable_language(CUDA)
find_package(CUDAToolkit REQUIRED)
set(CMAKE_CUDA_STANDARD 20)
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
target_include_directories(hermes::cuda_deps SYSTEM INTERFACE ${HERMES_CUDNN_INCLUDE_DIR} ${HERMES_NCCL_INCLUDE_DIR})
target_link_libraries(hermes::cuda_deps INTERFACE CUDA::cudart CUDA::cublas CUDA::cublasLt
                      ${HERMES_CUDNN_LIBRARY} ${HERMES_NCCL_LIBRARY})

# CUDA sources live in src/backend/cuda/ (the backend arrives with its issue); until then the
# preset still proves the toolchain, cuDNN and NCCL are found.
file(GLOB_RECURSE HERMES_CUDA_SOURCES CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/src/backend/cuda/*.cu")
if(HERMES_CUDA_SOURCES)
  target_sources(hermes_lib PRIVATE ${HERMES_CUDA_SOURCES})
  target_link_libraries(hermes_lib PUBLIC hermes::cuda_deps)
  target_compile_definitions(hermes_lib PUBLIC HERMES_HAVE_CUDA=1)
endif()
