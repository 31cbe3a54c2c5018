#pragma once
// The transformer on the GPU: the blocks of model/block.hpp, as model::Transformer runs them on the
// host, over the same parameter layout, with the CUDA ops (block_ops.hpp).
// Arenas, all allocated at construction (a step allocates nothing):
//   master (fp32) and weights (bf16) and grads (fp32): model::parameter_layout order, each tensor
//   starting on a 16-element boundary (so every tensor is 16-byte aligned for vector loads);
//   activations (bf16) for one micro-batch; small fp32/int32 side buffers.
// Beyond the ops' own fusions, one difference from the host, an exact rewrite: the tied head and
// cross-entropy run in row chunks (cross_entropy_head), never holding all logits.
// The loss stays on the device (totals(), read by the caller when it logs).
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "hermes/backend/cuda/attention.cuh"
#include "hermes/backend/cuda/buffer.cuh"
#include "hermes/backend/cuda/context.cuh"
#include "hermes/model/activations.hpp"
#include "hermes/model/config.hpp"

namespace hermes::backend::cuda {

struct TrainOps;  // block_ops.hpp

struct ModelSlot {
  model::ParamSpec spec;
  std::int64_t offset = 0;  // elements into master / weights / grads
};

class Model {
 public:
  using GradReady = std::function<void(Index ready_from)>;
  // logits_budget_bytes: the (rows, V) bf16 buffer of one cross-entropy chunk.
  // arena_multiple: the parameter arenas are padded (zeros) to a multiple of it, e.g.
  // dist::shard_for(...).padded_total's unit (world * 16) for ZeRO-1.
  Model(const model::ModelConfig& config, Index batch, Index seq_len, Context& ctx,
        Index logits_budget_bytes = Index(256) << 20, Index arena_multiple = 16);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::vector<ModelSlot>& slots() const { return slots_; }
  Index num_params() const { return n_params_; }  // arena size, padding included
  float* master() { return master_; }             // fp32 (n_params)
  bf16* weights() { return weights_; }            // bf16 (n_params)
  float* grads() { return grads_; }               // fp32 (n_params)
  std::size_t device_bytes() const { return bytes_; }

  // Host fp32 parameters in model::parameter_layout order, contiguous (the host Transformer's
  // arena); fills master and the bf16 copy.
  void load(const float* host_params);
  void save(float* host_params) const;  // master -> host, layout order, contiguous
  void zero_grads();

  // Device pointers, (batch, seq_len). grad_scale multiplies dlogits (1/tokens for a mean loss,
  // 1 for the host's unnormalised sum). Adds into totals() (loss sum, correct, count).
  void forward_backward(const std::int32_t* inputs, const std::int32_t* targets, const std::uint8_t* mask,
                        float grad_scale, const GradReady& ready = {});
  void forward(const std::int32_t* inputs, const std::int32_t* targets, const std::uint8_t* mask);
  double* totals() { return totals_; }  // device (3): loss sum, correct, count
  void clear_totals();
  AttentionImpl attention() const { return attn_; }

 private:
  void run_forward(const std::int32_t* inputs, const std::int32_t* targets, const std::uint8_t* mask, bool want_grad,
                   float grad_scale);
  void run_backward(const GradReady& ready);
  bf16* a(Index off) { return act_ + off; }
  // The CUDA ops over this batch.
  TrainOps train_ops();

  model::ModelConfig c_;
  Index B_, T_, N_;
  Context& ctx_;
  AttentionImpl attn_ = AttentionImpl::cublas_softmax;
  std::unique_ptr<CudnnAttention> sdpa_;  // the fused plans when attn_ is cudnn_fused
  std::vector<ModelSlot> slots_;
  std::vector<Index> host_offsets_;  // contiguous host layout offsets, per slot
  Index n_params_ = 0, host_params_ = 0;
  DeviceBlocks blocks_;  // owns every arena below; the pointers are views into it
  float *master_ = nullptr, *grads_ = nullptr;
  bf16* weights_ = nullptr;
  bf16* act_ = nullptr;
  // Side buffers. Shapes: N = batch*seq_len rows, C = n_embd, Q = qkv_dim(), F = ffn_hidden,
  // H = n_head, D = head_dim(), V = vocab_size.
  float* rstd_ = nullptr;                // (layout_.stats_elems) 1/rms of each norm: ln1, ln2 per layer, then lnf
  float* row_loss_ = nullptr;            // (N) each row's cross-entropy
  float* rope_cos_ = nullptr;            // (T, D/2) RoPE table
  float* rope_sin_ = nullptr;            // (T, D/2)
  std::int32_t* row_correct_ = nullptr;  // (N) 1 where the row's argmax is its target
  std::int32_t* tokens_ = nullptr;       // (N) the batch's input tokens
  double* totals_ = nullptr;             // (3) loss sum, correct, count
  std::size_t bytes_ = 0;
  Index chunk_rows_ = 0;            // rows of one cross-entropy chunk
  model::ParamOffsets po_;          // where each parameter starts in the arenas
  model::ActivationLayout layout_;  // the activation arena (bf16) and rstd_ (its statistics)
  Index logits_ = 0;                // (chunk_rows, logits_ld(V)) one cross-entropy chunk's logits, after the layout
  const std::int32_t* targets_ = nullptr;
  const std::uint8_t* mask_ = nullptr;
};

}  // namespace hermes::backend::cuda
