#pragma once
// Causal self-attention with grouped-query heads (math in backend/host/attention.hpp).
// This is the fallback path: qkv is permuted into (B, H, T, D) q, k, v (K/V heads repeated for
// their query group), S = Q K^T / sqrt(D) and O = P V run as strided-batched cuBLAS GEMMs over the
// B*H heads, and one warp per row does the fused causal softmax in fp32 (probs stored bf16,
// kept for backward). Backward mirrors it; dK and dV are summed over each group's query heads
// when they are scattered back into dqkv (=, every element written).
// cuDNN's fused flash attention (backend graph API) is the intended fast path; it is not built
// yet, and choose_attention() says so at start-up.
#include "hermes/backend/cuda/context.cuh"

namespace hermes::backend::cuda {

enum class AttentionImpl { cudnn_fused, cublas_softmax };
// Picks the implementation for this process and logs the choice (rank 0). `want_cudnn` is the
// deck's wish; today the answer is always cublas_softmax.
AttentionImpl choose_attention(bool want_cudnn);
const char* to_string(AttentionImpl impl);

// bf16 elements of the scratch buffer attention_forward/backward need.
Index attention_scratch_elems(Index B, Index T_len, Index n_head, Index D);

void attention_forward(bf16* out,        // (B, T, n_head*D)
                       bf16* probs,      // (B, n_head, T, T) saved for backward
                       const bf16* qkv,  // (B, T, (n_head + 2*n_kv_head)*D), after RoPE
                       Index B, Index T_len, Index n_head, Index n_kv_head, Index D,
                       bf16* scratch,  // attention_scratch_elems
                       Context& ctx);
void attention_backward(bf16* dqkv,      // (B, T, (n_head + 2*n_kv_head)*D) =
                        bf16* scratch,   // attention_scratch_elems
                        const bf16* dout,  // (B, T, n_head*D)
                        const bf16* qkv, const bf16* probs, Index B, Index T_len, Index n_head, Index n_kv_head,
                        Index D, Context& ctx);

}  // namespace hermes::backend::cuda
