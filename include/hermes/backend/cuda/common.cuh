#pragma once
// Shared pieces of the CUDA backend, includable from nvcc (.cu) and g++ (.cpp): the scalar types
// and one check macro per library (CUDA runtime, cuBLAS/cuBLASLt, cuDNN, NCCL). A failed call
// throws hermes::Error "<library> error <code> (<library's message>) in <call> at file:line on
// rank R"; the throw lives in check.cpp because nvcc's front end cannot compile fmt.
//
// Precision: activations and weights bf16 (__nv_bfloat16), parameter gradients, master weights,
// optimizer state and every reduction fp32 (or double where the host sums in double).
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <nccl.h>

#include <cstdint>

namespace hermes::backend::cuda {

using bf16 = __nv_bfloat16;
using Index = std::int64_t;

[[noreturn]] void library_failure(const char* library, long code, const char* message, const char* call,
                                  const char* file, int line);

inline void check_cuda(cudaError_t e, const char* call, const char* file, int line) {
  if (e != cudaSuccess) library_failure("CUDA", static_cast<long>(e), cudaGetErrorString(e), call, file, line);
}
inline void check_cublas(cublasStatus_t s, const char* call, const char* file, int line) {
  if (s != CUBLAS_STATUS_SUCCESS)
    library_failure("cuBLAS", static_cast<long>(s), cublasGetStatusString(s), call, file, line);
}
inline void check_cudnn(cudnnStatus_t s, const char* call, const char* file, int line) {
  if (s != CUDNN_STATUS_SUCCESS)
    library_failure("cuDNN", static_cast<long>(s), cudnnGetErrorString(s), call, file, line);
}
inline void check_nccl(ncclResult_t r, const char* call, const char* file, int line) {
  if (r != ncclSuccess) library_failure("NCCL", static_cast<long>(r), ncclGetErrorString(r), call, file, line);
}

// Device count without throwing: 0 when there is no driver or no device (tests skip on 0).
int device_count();

}  // namespace hermes::backend::cuda

#define HERMES_CUDA_CHECK(call) ::hermes::backend::cuda::check_cuda((call), #call, __FILE__, __LINE__)
#define HERMES_CUBLAS_CHECK(call) ::hermes::backend::cuda::check_cublas((call), #call, __FILE__, __LINE__)
#define HERMES_CUDNN_CHECK(call) ::hermes::backend::cuda::check_cudnn((call), #call, __FILE__, __LINE__)
#define HERMES_NCCL_CHECK(call) ::hermes::backend::cuda::check_nccl((call), #call, __FILE__, __LINE__)
// After a kernel launch: reports a bad launch configuration at the launch site.
#define HERMES_CUDA_LAUNCH_CHECK() HERMES_CUDA_CHECK(cudaGetLastError())
