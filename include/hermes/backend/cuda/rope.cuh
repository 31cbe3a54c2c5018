#pragma once
// Rotary position embedding in place on the q and k heads of the qkv layout (math in
// backend/host/rope.hpp): rows are [q (n_head*D) | k (n_kv_head*D) | v], pairs (i, i + D/2).
// Tables are fp32 (T, D/2), computed in double on the device and rounded once.
#include "hermes/backend/cuda/common.cuh"

namespace hermes::backend::cuda {

void rope_table(float* cos_table, float* sin_table, Index T_len, Index D, double theta, cudaStream_t stream);
void rope_forward(bf16* qkv,  // (B, T, (n_head + 2*n_kv_head)*D) rotated in place
                  const float* cos_table, const float* sin_table, Index B, Index T_len, Index n_head, Index n_kv_head,
                  Index D, cudaStream_t stream);
void rope_backward(bf16* dqkv,  // same layout, rotated back in place
                   const float* cos_table, const float* sin_table, Index B, Index T_len, Index n_head, Index n_kv_head,
                   Index D, cudaStream_t stream);

}  // namespace hermes::backend::cuda
