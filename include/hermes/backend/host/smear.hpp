#pragma once
// Token shift ("smear"): each position takes a gated share of the previous position's embedding,
//   g_n = sigmoid(w . e_n),  out_n = e_n + g_n e_{n-1}
// with g_n = 0 at a window's first position (S positions per window) and at a document start (attention's document mask
// holds there too). An attention layer reading out_n sees both a token and its predecessor, so
// one layer can find "the position after an earlier copy of the current token": the induction
// head that copying text needs, without a previous-token head in an earlier layer.
// Backward, with dz_n = (dout_n . e_{n-1}) g_n (1 - g_n):
//   de_n = dout_n + dz_n w + g_{n+1} dout_{n+1},   dw += sum_n dz_n e_n
#include "hermes/backend/host/common.hpp"

namespace hermes::backend::host {

template <class T>
void smear_forward(T* out,                         // (B*S, C), must not alias emb
                   T* gate,                        // (B*S) g_n, kept for backward
                   const T* emb,                   // (B*S, C)
                   const T* w,                     // (C)
                   const std::int32_t* doc_start,  // (B*S) or nullptr: where each position's document starts
                   Index B, Index S, Index C);
template <class T>
void smear_backward(T* demb,        // (B*S, C) written
                    T* dw,          // (C) +=
                    T* dz,          // (B*S) scratch
                    const T* dout,  // (B*S, C)
                    const T* emb,   // (B*S, C)
                    const T* gate,  // (B*S) from forward
                    const T* w,     // (C)
                    Index B, Index S, Index C);

// Decoding: x_r += sigmoid(w . x_r) prev_r for the rows with has_prev[r] (x holds the rows'
// embeddings, prev their predecessors' embeddings).
template <class T>
void smear_rows_forward(T* x,                          // (R, C) in place
                        const T* prev,                 // (R, C)
                        const std::uint8_t* has_prev,  // (R)
                        const T* w,                    // (C)
                        Index R, Index C);

}  // namespace hermes::backend::host
