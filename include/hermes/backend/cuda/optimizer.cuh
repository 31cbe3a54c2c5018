#pragma once
// Optimizer updates on the GPU over fp32 master weights, fp32 gradients and fp32 state, writing
// the bf16 working copy of each weight in the same pass (the forward reads only bf16).
// Step-dependent numbers (learning rate, bias corrections, gradient scale) live in a small
// device struct, so a CUDA graph captured once keeps working as they change: the host copies a
// new OptimScalars in (pinned memory, cudaMemcpyAsync) before each launch.
//  - AdamW (backend host: optim/optimizer.hpp): one launch per parameter arena through the
//    SegmentBlock table (chunking.hpp); g = grad * grad_scale; m, v bias-corrected; decoupled decay.
//  - Muon on one hidden matrix: Nesterov momentum, Frobenius normalisation, ns_steps quintic
//    Newton-Schulz iterations as TF32 cuBLAS GEMMs on the small Gram side, scaled update.
//  - Gradient clipping without a host round trip: sum_squares() then finalize_grad_scale().
#include "hermes/backend/cuda/chunking.hpp"
#include "hermes/backend/cuda/context.cuh"

namespace hermes::backend::cuda {

struct OptimScalars {
  float lr = 0, beta1 = 0.9f, beta2 = 0.95f, eps = 1e-8f, weight_decay = 0;
  float bias_c1 = 1, bias_c2 = 1;  // 1 - beta^step
  float grad_scale = 1;            // set to 1/tokens by the host; finalize_grad_scale folds in clipping
  float muon_lr = 0, muon_momentum = 0.95f;
};

constexpr int kAdamBlockElems = 4096;  // elements per SegmentBlock (plan_segment_blocks)
constexpr int kReduceBlocks = 512;     // partials sum_squares needs

void adamw_update(float* params, bf16* params_bf16, const float* grads, float* m, float* v,
                  const SegmentBlock* blocks,  // device table from plan_segment_blocks(..., kAdamBlockElems)
                  Index n_blocks, const OptimScalars* scalars, cudaStream_t stream);

struct MuonWorkspace {
  float* x;          // (rows*cols) of the largest matrix
  float* x2;         // same
  float* gram;       // (r*r), r = min(rows, cols)
  float* poly;       // (r*r)
  double* partials;  // kReduceBlocks
  double* norm2;     // 1
};
void muon_update(float* param, bf16* param_bf16, const float* grad, float* momentum, Index rows, Index cols,
                 bool decays, int ns_steps, const OptimScalars* scalars, const MuonWorkspace& ws, Context& ctx);

// *out = sum x^2 in double, two fixed-shape passes (deterministic). partials: kReduceBlocks.
void sum_squares(double* out, const float* x, Index n, double* partials, cudaStream_t stream);
// grad_scale *= min(1, max_norm / (norm + 1e-6)) where norm = sqrt(*norm2) * grad_scale; also
// stores the scaled norm in *norm_out (for the log). max_norm <= 0 disables clipping.
void finalize_grad_scale(OptimScalars* scalars, const double* norm2, float max_norm, float* norm_out,
                         cudaStream_t stream);
void to_bf16(bf16* out, const float* in, Index n, cudaStream_t stream);
void to_float(float* out, const bf16* in, Index n, cudaStream_t stream);

}  // namespace hermes::backend::cuda
