#pragma once
// Decoding ops over a bf16 key/value cache on the GPU (math in backend/host/kv_cache.hpp; forward
// only). Rows are tokens of any sequences ("slots"); row r sits at position pos[r] of slot slot[r]
// (both device int32 arrays). Cache per layer: k_cache, v_cache (S slots, L positions, KVH, D) bf16.
//   rope_at_forward:  q and k heads of each row rotated at the row's own position (fp32 tables
//                     from rope_table, the rotation rope_forward applies at that position).
//   kv_cache_write:   k_cache[slot[r], pos[r]] = k of row r; same for v (16-byte copies).
//   cached_attention: out[r, h] = sum_{j <= pos[r]} softmax_j(q[r,h] . k[slot,j] / sqrt(D)) v[slot,j],
//                     query head h reading KV head h / (H / KVH); causal for rows of one slot
//                     written in the same call (prefill). Flash-decoding: a block per (split of
//                     the positions, KV head, row) walks its positions in tiles of 32 keys with an
//                     online softmax in fp32, for all the query heads sharing that KV head (K/V
//                     read once per group, 16-byte loads); with more than one split, a second
//                     kernel merges the splits' (max, sum, partial output). No (rows, L) score
//                     matrix; a row's cost is linear in pos[r].
#include "hermes/backend/cuda/common.cuh"
#include "hermes/backend/cuda/decode_plan.hpp"

namespace hermes::backend::cuda {

void rope_at_forward(bf16* qkv,                                       // (R, (H + 2*KVH)*D), q and k rotated in place
                     const float* cos_table, const float* sin_table,  // (L, D/2) from rope_table
                     const std::int32_t* pos, Index R, Index H, Index KVH, Index D, cudaStream_t stream);

void kv_cache_write(bf16* k_cache, bf16* v_cache,  // (S, L, KVH, D)
                    const bf16* qkv,               // (R, (H + 2*KVH)*D), after RoPE
                    const std::int32_t* slot, const std::int32_t* pos, Index R, Index L, Index H, Index KVH, Index D,
                    cudaStream_t stream);

// Splits of the positions 0..L-1 used for R rows (1: no workspace, no merge kernel); the plan and
// cached_attention_workspace(max_rows, L, H, KVH, D) are in decode_plan.hpp.
inline Index cached_attention_splits(Index R, Index L, Index KVH) { return cached_attention_plan(R, L, KVH).splits; }

void cached_attention_forward(bf16* out,         // (R, H*D)
                              float* workspace,  // cached_attention_workspace(>= R, L, H, KVH, D)
                              const bf16* qkv,   // (R, (H + 2*KVH)*D), after RoPE
                              const bf16* k_cache, const bf16* v_cache,  // (S, L, KVH, D)
                              const std::int32_t* slot, const std::int32_t* pos, Index R, Index L, Index H, Index KVH,
                              Index D, cudaStream_t stream);

}  // namespace hermes::backend::cuda
