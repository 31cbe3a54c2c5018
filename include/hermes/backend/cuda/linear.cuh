#pragma once
// Linear layers through cuBLASLt (math in backend/host/linear.hpp): out = inp W^T + b, bf16 in
// and out, fp32 accumulation, the bias added by the GEMM's epilogue (no extra pass).
// Backward: dinp = dout W (=, bf16); dW += dout^T inp straight into the fp32 gradient arena
// (beta = 1); db += column sums of dout (fp32, a deterministic reduction kernel).
// GELU FFN fusion: linear_gelu_forward stores gelu(inp W^T + b) and the pre-activation (aux);
// linear_backward_dgelu computes the previous layer's dpre = (dout W) * gelu'(pre) in the same
// GEMM, so neither gelu_forward nor gelu_backward has to run. cuBLASLt needs the epilogue's aux
// leading dimension (the GELU width) divisible by 8; other widths run the GEMM and the pointwise
// kernel separately, with the same contract.
#include "hermes/backend/cuda/context.cuh"

namespace hermes::backend::cuda {

void linear_forward(bf16* out,           // (N, OC)
                    const bf16* inp,     // (N, IC)
                    const bf16* weight,  // (OC, IC)
                    const bf16* bias,    // (OC) or nullptr
                    Index N, Index IC, Index OC, Context& ctx);
void linear_gelu_forward(bf16* out,  // (N, OC) = gelu(pre)
                         bf16* pre,  // (N, OC) = inp W^T + b, kept for backward
                         const bf16* inp, const bf16* weight, const bf16* bias, Index N, Index IC, Index OC,
                         Context& ctx);
void linear_backward(bf16* dinp,      // (N, IC) =   (nullptr: not needed)
                     float* dweight,  // (OC, IC) +=
                     float* dbias,    // (OC) +=     (nullptr when no bias)
                     const bf16* dout, const bf16* inp, const bf16* weight, Index N, Index IC, Index OC, Context& ctx);
// As linear_backward, but dinp = (dout W) * gelu'(gelu_pre): the gradient of the pre-activation
// of the GELU that produced `inp`.
void linear_backward_dgelu(bf16* dinp, float* dweight, float* dbias, const bf16* dout, const bf16* inp,
                           const bf16* weight, const bf16* gelu_pre,  // (N, IC)
                           Index N, Index IC, Index OC, Context& ctx);

// db[c] += sum_n dout[n, c] (fp32), used by linear_backward; exposed for tests.
void bias_grad(float* dbias, const bf16* dout, Index N, Index OC, cudaStream_t stream);

}  // namespace hermes::backend::cuda
