#pragma once
// Causal self-attention with grouped-query heads (math in backend/host/attention.hpp).
// This is the fallback path: qkv is permuted into (B, H, T, D) q, k, v (K/V heads repeated for
// their query group), S = Q K^T / sqrt(D) and O = P V run as strided-batched cuBLAS GEMMs over the
// B*H heads, and one warp per row does the fused causal softmax in fp32 (probs stored bf16,
// kept for backward). Backward mirrors it; dK and dV are summed over each group's query heads
// when they are scattered back into dqkv (=, every element written).
// The fast path is cuDNN's fused flash attention (attention_cudnn.hpp: backend graph API, no
// (B, H, T, T) probabilities, fp32 row statistics (B, H, T) saved instead); choose_attention()
// picks one of the two at start-up and logs why.
#include <memory>

#include "hermes/backend/cuda/context.cuh"

namespace hermes::backend::cuda {

class CudnnAttention;

enum class AttentionImpl { cudnn_fused, cublas_softmax };
// Picks the implementation for this process and logs the choice (rank 0). With want_cudnn, and
// unless the environment variable HERMES_CUDA_ATTENTION=cublas forces the fallback, it builds
// cuDNN's fused forward and backward plans for this shape: on success `plans` holds them and the
// answer is cudnn_fused; when cuDNN refuses (head dim, GPU architecture, version) the reason is
// logged in one line and the answer is cublas_softmax.
AttentionImpl choose_attention(bool want_cudnn, Context& ctx, Index B, Index T_len, Index n_head, Index n_kv_head,
                               Index D, std::unique_ptr<CudnnAttention>& plans);
const char* to_string(AttentionImpl impl);

// bf16 elements of the scratch buffer attention_forward/backward need (the fallback).
Index attention_scratch_elems(Index B, Index T_len, Index n_head, Index D);
// The same per implementation: cudnn_fused needs none (its workspace lives in CudnnAttention).
Index attention_scratch_elems(AttentionImpl impl, Index B, Index T_len, Index n_head, Index D);
// bf16 elements saved per layer for backward: the (B, H, T, T) bf16 probabilities (fallback) or
// the (B, H, T) fp32 statistics (cudnn_fused, two bf16 slots per float).
Index attention_saved_elems(AttentionImpl impl, Index B, Index T_len, Index n_head);

void attention_forward(bf16* out,        // (B, T, n_head*D)
                       bf16* probs,      // (B, n_head, T, T) saved for backward
                       const bf16* qkv,  // (B, T, (n_head + 2*n_kv_head)*D), after RoPE
                       Index B, Index T_len, Index n_head, Index n_kv_head, Index D,
                       bf16* scratch,  // attention_scratch_elems
                       Context& ctx);
void attention_backward(bf16* dqkv,        // (B, T, (n_head + 2*n_kv_head)*D) =
                        bf16* scratch,     // attention_scratch_elems
                        const bf16* dout,  // (B, T, n_head*D)
                        const bf16* qkv, const bf16* probs, Index B, Index T_len, Index n_head, Index n_kv_head,
                        Index D, Context& ctx);

}  // namespace hermes::backend::cuda
