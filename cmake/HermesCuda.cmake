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

# hermes_backend_cuda, src/backend/cuda/: kernels in .cu (nvcc; they include only CUDA headers and
# our .cuh files, because nvcc's front end rejects fmt's consteval format strings), host-side glue
# in .cpp (g++: cuBLASLt plans, NCCL, logging). Its warning flags are gcc's and apply to C++ only
# (hermes_library); nvcc forwards its own set to the host compiler.
function(hermes_cuda_library)
  file(GLOB cuda_kernels CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/src/backend/cuda/*.cu")
  hermes_library(backend_cuda AREAS backend/cuda SOURCES ${cuda_kernels}
    PUBLIC hermes_dist hermes_model hermes::cuda_deps)
  target_compile_options(hermes_backend_cuda PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr -lineinfo -Xcompiler=-Wall,-Wno-unused-parameter>)
  set_target_properties(hermes_backend_cuda PROPERTIES CUDA_SEPARABLE_COMPILATION OFF CUDA_STANDARD 17)
endfunction()
