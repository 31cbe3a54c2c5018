#pragma once
// Pointwise activations, fp32 math on bf16 tensors, 8 values per 16-byte load.
// GELU (tanh approximation, backend/host/gelu.hpp): y = x/2 (1 + tanh(k (x + 0.044715 x^3))).
//   Backward: dinp = dout * y'(x) (=). The FFN can instead fuse GELU into the up-projection GEMM
//   (linear_gelu_forward / linear_backward_dgelu in linear.cuh), which removes both passes.
// SwiGLU (backend/host/swiglu.hpp): out = silu(gate) * up; dgate, dup written (=).
#include "hermes/backend/cuda/common.cuh"

namespace hermes::backend::cuda {

void gelu_forward(bf16* out, const bf16* inp, Index n, cudaStream_t stream);
void gelu_backward(bf16* dinp, const bf16* inp, const bf16* dout, Index n, cudaStream_t stream);
void swiglu_forward(bf16* out, const bf16* gate, const bf16* up, Index n, cudaStream_t stream);
void swiglu_backward(bf16* dgate, bf16* dup, const bf16* gate, const bf16* up, const bf16* dout, Index n,
                     cudaStream_t stream);

}  // namespace hermes::backend::cuda
