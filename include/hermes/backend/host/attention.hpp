#pragma once
// Causal self-attention with grouped-query heads, per (batch, head) through BLAS, a block of query
// rows at a time: S = Q K^T / sqrt(D) for the block against the keys it may see, P =
// causal_softmax(S) in cache, O = P V. Only the rows' log-sum-exp is kept for backward (B·H·T
// values, not B·H·T·T probabilities), which recomputes P = exp(S - lse) block by block.
// Query head h reads KV head h / (n_head / n_kv_head).
// doc_start (optional, (B, T)): the position where each query's document starts in its window;
// a query then sees keys [doc_start, itself] only, so packed documents do not attend to each
// other. Starts must not decrease along a window and doc_start[t] <= t (nullptr: plain causal).
// qkv rows are [q (n_head*D) | k (n_kv_head*D) | v (n_kv_head*D)]; out rows are n_head*D.
// Backward: dV += P^T dO (summed over the heads of a group); dP = dO V^T; dS = P (dP -
// rowsum(P dP)) / sqrt(D); dQ = dS K; dK += dS^T Q. dqkv is written (=) as a whole.
#include "hermes/backend/host/common.hpp"

namespace hermes::backend::host {

// Elements of the workspace both passes need at sequence length T_len.
Index attention_scratch_elems(Index T_len);

template <class T>
void attention_forward(T* out,        // (B, T, n_head*D)
                       T* lse,        // (B, n_head, T) row log-sum-exp, saved for backward
                       const T* qkv,  // (B, T, (n_head + 2*n_kv_head)*D), after RoPE
                       Index B, Index T_len, Index n_head, Index n_kv_head, Index D,
                       T* scratch,  // attention_scratch_elems(T) workspace
                       const std::int32_t* doc_start = nullptr);
template <class T>
void attention_backward(T* dqkv,        // (B, T, (n_head + 2*n_kv_head)*D) =
                        T* scratch,     // attention_scratch_elems(T) workspace
                        const T* dout,  // (B, T, n_head*D)
                        const T* qkv, const T* lse, Index B, Index T_len, Index n_head, Index n_kv_head, Index D,
                        const std::int32_t* doc_start = nullptr);

}  // namespace hermes::backend::host
