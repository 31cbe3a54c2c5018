#pragma once
// Causal self-attention with grouped-query heads, per (batch, head) through BLAS:
//   S = Q K^T / sqrt(D) (T, T); P = causal_softmax(S) (fused scale + mask + softmax, kept for
//   backward); O = P V. Query head h reads KV head h / (n_head / n_kv_head).
// qkv rows are [q (n_head*D) | k (n_kv_head*D) | v (n_kv_head*D)]; out rows are n_head*D.
// Backward: dP = dO V^T; dV += P^T dO (summed over the heads of a group); dS = P (dP - rowsum(P dP))
// / sqrt(D); dQ = dS K; dK += dS^T Q. dqkv is written (=) as a whole.
#include "hermes/backend/host/common.hpp"

namespace hermes::backend::host {

template <class T>
void attention_forward(T* out,        // (B, T, n_head*D)
                       T* probs,      // (B, n_head, T, T) saved for backward
                       const T* qkv,  // (B, T, (n_head + 2*n_kv_head)*D), after RoPE
                       Index B, Index T_len, Index n_head, Index n_kv_head, Index D);
template <class T>
void attention_backward(T* dqkv,        // (B, T, (n_head + 2*n_kv_head)*D) =
                        T* scratch,     // (T, T) workspace
                        const T* dout,  // (B, T, n_head*D)
                        const T* qkv, const T* probs, Index B, Index T_len, Index n_head,
                        Index n_kv_head, Index D);

}  // namespace hermes::backend::host
