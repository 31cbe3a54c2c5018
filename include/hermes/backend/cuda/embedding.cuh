#pragma once
// Token embedding (see backend/host/embedding.hpp for the math). out[n,:] = wte[tokens[n],:].
// Backward: dwte[tokens[n],:] += dout[n,:] in fp32 through atomicAdd, so the order of additions
// into a repeated token's row (and the last bits of dwte) can differ between runs.
#include "hermes/backend/cuda/common.cuh"

namespace hermes::backend::cuda {

void embedding_forward(bf16* out,                   // (N, C)
                       const std::int32_t* tokens,  // (N), device
                       const bf16* wte,             // (V, C)
                       Index N, Index C, cudaStream_t stream);
void embedding_backward(float* dwte,                 // (V, C) +=
                        const bf16* dout,            // (N, C)
                        const std::int32_t* tokens,  // (N)
                        Index N, Index C, cudaStream_t stream);

}  // namespace hermes::backend::cuda
