#pragma once
// RMSNorm and the fused residual add + RMSNorm (math in backend/host/rmsnorm.hpp).
//   r[n] = 1/sqrt(mean_c x^2 + eps) (fp32, saved); out = bf16(x * r * w).
// Fused: res = bf16(a + b) is written (the residual stream) and normalised in the same pass, so
// the stream is read once instead of three times (add, then norm).
// Backward: dinp += r*w*dout - r^3/C * x * sum_c(dout*w*x) (bf16, +=: the residual stream's
// gradient already holds the skip share); dweight += sum_n dout*x*r in fp32, per-block partials
// in shared memory then one atomicAdd per channel per block.
#include "hermes/backend/cuda/common.cuh"

namespace hermes::backend::cuda {

void rmsnorm_forward(bf16* out,           // (N, C)
                     float* rstd,         // (N) saved for backward
                     const bf16* inp,     // (N, C)
                     const bf16* weight,  // (C)
                     Index N, Index C, double eps, cudaStream_t stream);
void residual_rmsnorm_forward(bf16* res,    // (N, C) = a + b
                              bf16* out,    // (N, C) = rmsnorm(res)
                              float* rstd,  // (N)
                              const bf16* a, const bf16* b, const bf16* weight, Index N, Index C, double eps,
                              cudaStream_t stream);
void rmsnorm_backward(bf16* dinp,      // (N, C) +=
                      float* dweight,  // (C) +=
                      const bf16* dout, const bf16* inp, const bf16* weight, const float* rstd, Index N, Index C,
                      cudaStream_t stream);

// Residual add: out = a + b (n), fp32 add, one bf16 rounding.
void residual_forward(bf16* out, const bf16* a, const bf16* b, Index n, cudaStream_t stream);

}  // namespace hermes::backend::cuda
