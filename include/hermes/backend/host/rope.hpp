#pragma once
// Rotary position embedding, in place on the q and k parts of qkv (rotate-half convention, as in
// LLaMA's Hugging Face port): for head dim D and i < D/2, with f_i = theta^(-2i/D), position t:
//   y[i]       = x[i] cos(t f_i) - x[i+D/2] sin(t f_i)
//   y[i+D/2]   = x[i] sin(t f_i) + x[i+D/2] cos(t f_i)
// Backward rotates the gradient by -t f_i, in place (dqkv = R^T dqkv).
#include "hermes/backend/host/common.hpp"

namespace hermes::backend::host {

// Fills cos/sin tables, each (T, D/2), in double then rounded to the scalar type.
template <class T>
void rope_table(T* cos_table, T* sin_table, Index T_len, Index D, double theta);

template <class T>
void rope_forward(T* qkv,  // (B, T, n_head*D + 2*n_kv_head*D), q and k rotated in place
                  const T* cos_table, const T* sin_table, Index B, Index T_len, Index n_head, Index n_kv_head, Index D);
template <class T>
void rope_backward(T* dqkv,  // same layout, rotated back in place
                   const T* cos_table, const T* sin_table, Index B, Index T_len, Index n_head, Index n_kv_head,
                   Index D);

}  // namespace hermes::backend::host
