#pragma once
// The per-rank GPU context: one compute stream, the cuBLAS and cuBLASLt handles, and one GEMM
// workspace allocated at construction (cuBLAS is pointed at it too, so no library allocates
// inside a step or during CUDA-graph capture). GEMMs take row-major arguments like the host
// backend's gemm() and are mapped to cuBLAS's column-major view (C^T = op(B)^T op(A)^T).
// cuBLASLt plans (matmul descriptor, layouts, heuristic algorithm) are cached per shape on first
// use; set CUBLASLT_LOG_LEVEL=2 to see the library's own complaints.
#include <cstddef>
#include <map>
#include <memory>
#include <tuple>

#include "hermes/backend/cuda/buffer.cuh"
#include "hermes/backend/cuda/common.cuh"
#include "hermes/backend/cuda/handle.hpp"

namespace hermes::backend::cuda {

// cuBLASLt epilogues the model uses (column vector = one value per output feature).
enum class Epilogue {
  none,
  bias,       // D = AB + bias
  gelu_bias,  // D = gelu(AB + bias), aux = AB + bias (pre-activation, for backward)
  gelu,       // D = gelu(AB), aux = AB
  dgelu,      // D = AB * gelu'(aux)
};

class Context {
 public:
  // device: the CUDA device this rank drives (made current here). workspace: GEMM scratch.
  explicit Context(int device, std::size_t workspace_bytes = std::size_t(64) << 20);
  ~Context();  // where Plan is complete
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  int device() const { return device_; }
  cudaStream_t stream() const { return stream_.get(); }
  cublasHandle_t cublas() const { return cublas_.get(); }
  cublasLtHandle_t lt() const { return lt_.get(); }
  int sm_count() const { return sms_; }

  // Row-major C(m,n) = alpha op(A) op(B) + beta C through cuBLASLt, bf16 A/B, fp32 accumulation,
  // C of type c_type (CUDA_R_16BF or CUDA_R_32F: fp32 for parameter gradients, beta = 1 to
  // accumulate). trans_a: A is stored (k, m). bias: (n) bf16; aux: (m, n) with leading dim ldaux.
  void gemm(bool trans_a, bool trans_b, Index m, Index n, Index k, float alpha, const bf16* a, Index lda, const bf16* b,
            Index ldb, float beta, void* c, cudaDataType_t c_type, Index ldc, Epilogue epilogue = Epilogue::none,
            const bf16* bias = nullptr, bf16* aux = nullptr, Index ldaux = 0);

  // Row-major strided-batched bf16 GEMM through cuBLAS (attention), fp32 accumulation.
  void gemm_batched(bool trans_a, bool trans_b, Index m, Index n, Index k, float alpha, const bf16* a, Index lda,
                    Index stride_a, const bf16* b, Index ldb, Index stride_b, float beta, bf16* c, Index ldc,
                    Index stride_c, Index batch);

  // Row-major fp32 GEMM (Muon's Newton-Schulz), TF32 tensor cores with fp32 accumulation.
  void sgemm(bool trans_a, bool trans_b, Index m, Index n, Index k, float alpha, const float* a, Index lda,
             const float* b, Index ldb, float beta, float* c, Index ldc);

  std::size_t cached_plans() const { return plans_.size(); }

 private:
  struct Plan;
  // trans_a, trans_b, m, n, k, lda, ldb, ldc, c_type, epilogue, ldaux, and the byte alignment of
  // the A, B, C pointers (an algorithm picked for 256-byte aligned buffers may refuse 16).
  using Key = std::tuple<bool, bool, Index, Index, Index, Index, Index, Index, int, int, Index, int, int, int>;
  Plan& plan(const Key& key, const void* bias, void* aux);

  int device_ = 0, sms_ = 0;
  // Destroyed in reverse: the plans before the cuBLASLt handle they were made with.
  Owned<cudaStream_t, cudaStreamDestroy> stream_;
  Owned<cublasHandle_t, cublasDestroy> cublas_;
  Owned<cublasLtHandle_t, cublasLtDestroy> lt_;
  DeviceBuffer<std::byte> workspace_;
  std::size_t workspace_bytes_ = 0;
  std::map<Key, std::unique_ptr<Plan>> plans_;
};

}  // namespace hermes::backend::cuda
