#pragma once
// The transformer's training pass on the host: the blocks of model/block.hpp with the host ops,
// over arenas sized at construction: parameters and gradients (one contiguous block each, laid
// out exactly as model::parameter_layout), and the activations of one micro-batch (batch,
// seq_len) with their norm statistics, laid out by model/activations.hpp and followed by the
// host's own (logits, the token shift's tensors, RoPE tables). forward() and backward() allocate
// nothing.
// Head: logits = rmsnorm(x_L) Wte^T (tied), then the fused cross-entropy.
// x_0 is the token embedding, or with model.smear the embedding plus its gated token shift.
#include <Kokkos_Core.hpp>

#include <cstdint>
#include <functional>
#include <vector>

#include "hermes/backend/host/common.hpp"
#include "hermes/backend/host/cross_entropy.hpp"
#include "hermes/model/activations.hpp"
#include "hermes/model/block.hpp"
#include "hermes/model/config.hpp"

namespace hermes::backend::host {
template <class T>
struct TrainOps;  // backend/host/block_ops.hpp
}  // namespace hermes::backend::host

namespace hermes::model {

struct ParamSlot {
  ParamSpec spec;
  std::int64_t offset = 0;  // into the parameter (and gradient) arena
};

// model::parameter_layout with each tensor's offset in one contiguous arena (no padding): the
// host Transformer's arena, and the layout of checkpoints and of every host copy of parameters.
std::vector<ParamSlot> contiguous_slots(const ModelConfig& config);
// Elements of that arena.
std::int64_t contiguous_size(const std::vector<ParamSlot>& slots);
// Where each tensor starts in its arena, in order: what the gradient all-reduce cuts buckets at.
std::vector<std::int64_t> tensor_begins(const std::vector<ParamSlot>& slots);

// GPT-2 initialisation of a parameter arena laid out by `slots`: N(0, init_std) for matrices and
// the embedding, residual projections (attn.proj, ffn.down) scaled by 1/sqrt(2 n_layer), biases
// 0, norm weights 1. One draw sequence from `seed` in slot order, so every backend that calls it
// starts from the same weights.
template <class T>
void init_parameters(const ModelConfig& config, const std::vector<ParamSlot>& slots, std::uint64_t seed, T* params);

template <class T>
class Transformer {
 public:
  using Index = std::int64_t;
  // Called during backward with an arena offset: every gradient at or after it is final for this
  // micro-batch (used to start bucketed all-reduces while backward continues).
  using GradReady = std::function<void(Index ready_from)>;

  Transformer(const ModelConfig& config, Index batch, Index seq_len);

  const ModelConfig& config() const { return config_; }
  Index batch() const { return B_; }
  Index seq_len() const { return T_; }
  const std::vector<ParamSlot>& slots() const { return slots_; }
  const ParamSlot& slot(const std::string& name) const;
  Index num_params() const { return n_params_; }
  T* params() { return params_.data(); }
  const T* params() const { return params_.data(); }
  T* grads() { return grads_.data(); }
  const T* grads() const { return grads_.data(); }
  // After forward: (batch*seq_len, vocab), each row exp(logit - row max) without want_grad (the
  // fused cross-entropy works in place), d(loss)/d(logits) with it.
  const T* logits() const { return acts_.data() + logits_; }
  // Bytes held by the activation arena (what `info`'s estimate must match).
  std::size_t activation_bytes() const;

  // init_parameters over this model's arena.
  void init(std::uint64_t seed) { init_parameters(config_, slots_, seed, params()); }
  void zero_grads();

  // inputs/targets/mask: (batch, seq_len). With want_grad the logits are replaced by
  // d(loss_sum)/d(logits) (unnormalised: the caller scales gradients by 1/tokens later).
  // doc_start (batch, seq_len), optional: where each position's document starts in its window;
  // attention then stays inside documents (the backward of this forward does too).
  backend::host::CrossEntropyStats forward(const std::int32_t* inputs, const std::int32_t* targets,
                                           const std::uint8_t* mask, bool want_grad,
                                           const std::int32_t* doc_start = nullptr);
  // Accumulates (+=) parameter gradients of the last forward's loss sum.
  void backward(const GradReady& ready = {});

 private:
  T* act(Index offset) { return acts_.data() + offset; }
  // The host ops over this batch.
  backend::host::TrainOps<T> train_ops();
  ModelConfig config_;
  Index B_, T_, N_;
  std::vector<ParamSlot> slots_;
  Index n_params_ = 0;
  backend::host::HostArray<T> params_, grads_;          // (num_params) each, laid out as slots_
  backend::host::HostArray<T> acts_;                    // (act_elems_), the offsets below
  backend::host::HostArray<std::int32_t> tokens_;       // (N) the last forward's inputs
  backend::host::HostArray<std::int32_t> row_correct_;  // (N) 1 where the row's argmax is its target
  backend::host::HostArray<std::int32_t> doc_start_;    // (N) where each position's document starts
  bool doc_mask_ = false;                               // the last forward had document starts (doc_start_ holds them)
  ParamOffsets po_;                                     // where each parameter starts in the arena
  ActivationLayout layout_;            // every block's activations, x_L, its norm, the backward scratch
  backend::host::HostArray<T> stats_;  // (layout_.stats_elems) each norm's 1/rms per row
  // What the host keeps after layout_.backend_start, with each tensor's shape: N = batch*seq_len
  // rows, C = n_embd, V = vocab_size, D = head_dim().
  Index emb_ = -1;         // (N, C) the plain embedding, before the token shift (model.smear only)
  Index smear_gate_ = -1;  // (N) the shift's gate per row (model.smear only)
  Index s_smear_dz_ = -1;  // (N) scratch: the gate's pre-activation gradient (model.smear only)
  Index logits_ = 0;       // (N, V) logits; exp(logit - max) or d(loss)/d(logits) after forward
  Index row_loss_ = 0;     // (N) each row's cross-entropy
  Index rope_cos_ = 0;     // (T, D/2) RoPE table
  Index rope_sin_ = 0;     // (T, D/2)
  Index act_elems_ = 0;    // elements of the whole activation arena
};

extern template class Transformer<float>;
extern template class Transformer<double>;

}  // namespace hermes::model
