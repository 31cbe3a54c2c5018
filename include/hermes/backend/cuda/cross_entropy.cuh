#pragma once
// Fused softmax + cross-entropy over the vocabulary (math in backend/host/cross_entropy.hpp),
// one block per row: the bf16 logits are read once for an online max/sum/argmax in fp32
// (16-byte loads), then, with write_grad, overwritten in place by the bf16 dlogits
// grad_scale * mask * (softmax - onehot). No fp32 copy of the logits exists.
// Per-row losses stay on the device; cross_entropy_totals() adds them up in a fixed order (one
// block, double), so the loss is reproducible and reading it back is the caller's choice (the
// training loop reads it only at log steps, outside the captured graph).
// cross_entropy_head() is the tied output head done in row chunks: for each chunk of rows,
// logits = x Wte^T into a (chunk, V) bf16 buffer, the fused loss/gradient, then dx = dlogits Wte
// and dWte += dlogits^T x, so the full (N, V) logits never exist either.
#include "hermes/backend/cuda/context.cuh"

namespace hermes::backend::cuda {

void cross_entropy_forward_backward(bf16* logits,                 // (N, V) in: logits; out: dlogits
                                    float* row_loss,              // (N) masked loss per row
                                    std::int32_t* row_correct,    // (N) argmax == target (masked)
                                    const std::int32_t* targets,  // (N)
                                    const std::uint8_t* mask,     // (N) or nullptr
                                    Index N, Index V, float grad_scale, bool write_grad, cudaStream_t stream);

// totals[0] += sum loss, totals[1] += correct, totals[2] += counted rows (device doubles).
void cross_entropy_totals(double* totals, const float* row_loss, const std::int32_t* row_correct,
                          const std::uint8_t* mask, Index N, cudaStream_t stream);

// Row stride of the head's logits chunk: V rounded up to 8, so every row starts 16-byte aligned
// for cuBLASLt's tensor-core kernels and the 16-byte loads (GPT-2's V = 50257 is odd).
inline Index logits_ld(Index V) { return (V + 7) / 8 * 8; }

void cross_entropy_head(bf16* dx,     // (N, C) = d loss / d x (nullptr: forward only)
                        float* dwte,  // (V, C) += (ignored without dx)
                        float* row_loss, std::int32_t* row_correct,
                        bf16* logits_chunk,  // (chunk_rows, logits_ld(V)) scratch
                        const bf16* x,       // (N, C) final-norm output
                        const bf16* wte,     // (V, C) tied embedding
                        const std::int32_t* targets, const std::uint8_t* mask, Index N, Index C, Index V,
                        Index chunk_rows, float grad_scale, Context& ctx);

}  // namespace hermes::backend::cuda
