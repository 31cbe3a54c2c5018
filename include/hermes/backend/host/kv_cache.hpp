#pragma once
// Decoding ops over a key/value cache (forward only: generation has no backward).
// Rows are tokens of any sequences ("slots"); row r sits at absolute position pos[r] of slot
// slot[r]. Cache layout per layer: k_cache, v_cache (S slots, L positions, KVH, D).
//   rope_at_forward:   RoPE of q and k of each row at its own position (same rotation as
//                      rope_forward at that position).
//   kv_cache_write:    k_cache[slot[r], pos[r]] = k of row r; same for v.
//   cached_attention:  out[r, h] = sum_{j <= pos[r]} softmax_j(q[r,h] . k[slot,j] / sqrt(D)) v[slot,j]
//                      with query head h reading KV head h / (H / KVH). Rows of one slot may be
//                      written and attended in the same call (prefill): row r sees only j <= pos[r],
//                      so it is causal. The cost of a row is linear in pos[r].
#include "hermes/backend/host/common.hpp"

namespace hermes::backend::host {

template <class T>
void rope_at_forward(T* qkv,                                  // (R, (H + 2*KVH)*D), q and k rotated in place
                     const T* cos_table, const T* sin_table,  // (L, D/2) from rope_table
                     const std::int32_t* pos, Index R, Index H, Index KVH, Index D);

template <class T>
void kv_cache_write(T* k_cache, T* v_cache,  // (S, L, KVH, D)
                    const T* qkv,            // (R, (H + 2*KVH)*D), after RoPE
                    const std::int32_t* slot, const std::int32_t* pos, Index R, Index L, Index H, Index KVH, Index D);

template <class T>
void cached_attention_forward(T* out,                              // (R, H*D)
                              T* scores,                           // (R*H, L) workspace
                              const T* qkv,                        // (R, (H + 2*KVH)*D), after RoPE
                              const T* k_cache, const T* v_cache,  // (S, L, KVH, D)
                              const std::int32_t* slot, const std::int32_t* pos, Index R, Index L, Index H, Index KVH,
                              Index D);

}  // namespace hermes::backend::host
