#include "hermes/backend/cuda/model.hpp"

#include <algorithm>

#include "hermes/backend/cuda/block_ops.hpp"
#include "hermes/backend/cuda/chunking.hpp"
#include "hermes/backend/cuda/cross_entropy.cuh"
#include "hermes/backend/cuda/embedding.cuh"
#include "hermes/backend/cuda/optimizer.cuh"
#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"
#include "hermes/core/strings.hpp"

namespace hermes::backend::cuda {

namespace {
Index round16(Index n) { return (n + 15) / 16 * 16; }
}  // namespace

Model::Model(const model::ModelConfig& c, Index batch, Index seq_len, Context& ctx, Index logits_budget,
             Index arena_multiple)
    : c_(c), B_(batch), T_(seq_len), N_(batch * seq_len), ctx_(ctx) {
  model::validate(c);
  if (c.smear)
    fail("model.smear (the token shift) is not implemented by the CUDA backend yet; use parallel.backend = \"host\"");
  if (seq_len > c.context_length)
    fail("train.seq_len = {} exceeds model.context_length = {}; lower seq_len or raise context_length", seq_len,
         c.context_length);
  for (const auto& spec : model::parameter_layout(c)) {
    slots_.push_back({spec, n_params_});
    host_offsets_.push_back(host_params_);
    n_params_ += round16(spec.numel());
    host_params_ += spec.numel();
  }
  HERMES_ASSERT(arena_multiple > 0);
  n_params_ = (n_params_ + arena_multiple - 1) / arena_multiple * arena_multiple;
  {
    std::vector<Index> offsets;
    for (const auto& s : slots_) offsets.push_back(s.offset);
    po_ = model::param_offsets(c, offsets);
  }
  const Index H = c.n_head, V = c.vocab_size, D = c.head_dim();
  // The attention path decides what each layer keeps for backward: probabilities or statistics.
  attn_ = choose_attention(true, ctx, B_, T_, H, c.n_kv_head, D, sdpa_);
  chunk_rows_ = chunk_rows_for(N_, logits_ld(V), logits_budget);
  // The shared layout, then one cross-entropy chunk's logits.
  layout_ = model::activation_layout(c, B_, T_, attention_saved_elems(attn_, B_, T_, H),
                                     attention_scratch_elems(attn_, B_, T_, H, D));
  logits_ = layout_.backend_start;
  const Index act_elems = logits_ + model::arena_round(chunk_rows_ * logits_ld(V));
  master_ = blocks_.alloc<float>(n_params_, bytes_);
  grads_ = blocks_.alloc<float>(n_params_, bytes_);
  weights_ = blocks_.alloc<bf16>(n_params_, bytes_);
  act_ = blocks_.alloc<bf16>(act_elems, bytes_);
  rstd_ = blocks_.alloc<float>(layout_.stats_elems, bytes_);
  row_loss_ = blocks_.alloc<float>(N_, bytes_);
  row_correct_ = blocks_.alloc<std::int32_t>(N_, bytes_);
  tokens_ = blocks_.alloc<std::int32_t>(N_, bytes_);
  rope_cos_ = blocks_.alloc<float>(T_ * D / 2, bytes_);
  rope_sin_ = blocks_.alloc<float>(T_ * D / 2, bytes_);
  totals_ = blocks_.alloc<double>(3, bytes_);
  if (sdpa_) bytes_ += sdpa_->device_bytes();
  HERMES_CUDA_CHECK(cudaMemsetAsync(master_, 0, n_params_ * sizeof(float), ctx.stream()));
  HERMES_CUDA_CHECK(cudaMemsetAsync(weights_, 0, n_params_ * sizeof(bf16), ctx.stream()));
  rope_table(rope_cos_, rope_sin_, T_, D, c.rope_theta, ctx.stream());
  zero_grads();
  clear_totals();
  HERMES_CUDA_CHECK(cudaStreamSynchronize(ctx.stream()));
  log::info("cuda model: {} parameters, {} on the device, cross-entropy in chunks of {} rows", host_params_,
            format_bytes(static_cast<double>(bytes_)), chunk_rows_);
}

Model::~Model() = default;

void Model::load(const float* host) {
  for (std::size_t i = 0; i < slots_.size(); ++i)
    HERMES_CUDA_CHECK(cudaMemcpyAsync(master_ + slots_[i].offset, host + host_offsets_[i],
                                      slots_[i].spec.numel() * sizeof(float), cudaMemcpyHostToDevice, ctx_.stream()));
  to_bf16(weights_, master_, n_params_, ctx_.stream());
  HERMES_CUDA_CHECK(cudaStreamSynchronize(ctx_.stream()));
}

void Model::save(float* host) const {
  for (std::size_t i = 0; i < slots_.size(); ++i)
    HERMES_CUDA_CHECK(cudaMemcpyAsync(host + host_offsets_[i], master_ + slots_[i].offset,
                                      slots_[i].spec.numel() * sizeof(float), cudaMemcpyDeviceToHost, ctx_.stream()));
  HERMES_CUDA_CHECK(cudaStreamSynchronize(ctx_.stream()));
}

void Model::zero_grads() { HERMES_CUDA_CHECK(cudaMemsetAsync(grads_, 0, n_params_ * sizeof(float), ctx_.stream())); }
void Model::clear_totals() { HERMES_CUDA_CHECK(cudaMemsetAsync(totals_, 0, 3 * sizeof(double), ctx_.stream())); }

void Model::forward(const std::int32_t* inputs, const std::int32_t* targets, const std::uint8_t* mask) {
  run_forward(inputs, targets, mask, false, 1.0f);
}

void Model::forward_backward(const std::int32_t* inputs, const std::int32_t* targets, const std::uint8_t* mask,
                             float grad_scale, const GradReady& ready) {
  run_forward(inputs, targets, mask, true, grad_scale);
  run_backward(ready);
}

TrainOps Model::train_ops() {
  TrainOps o;
  model::set_shape(o, c_);
  o.ctx = &ctx_;
  o.B = B_;
  o.T_len = T_;
  o.rope_cos = rope_cos_;
  o.rope_sin = rope_sin_;
  o.scratch = a(layout_.attention_scratch);
  o.sdpa = sdpa_.get();
  return o;
}

// Forward; with want_grad the head also runs its backward (dlnf into the scratch's dc, dWte +=),
// chunk by chunk, because the chunk's logits are gone afterwards.
void Model::run_forward(const std::int32_t* inputs, const std::int32_t* targets, const std::uint8_t* mask,
                        bool want_grad, float grad_scale) {
  const Index C = c_.n_embd, V = c_.vocab_size;
  const cudaStream_t s = ctx_.stream();
  const bf16* p = weights_;
  HERMES_CUDA_CHECK(cudaMemcpyAsync(tokens_, inputs, N_ * sizeof(std::int32_t), cudaMemcpyDeviceToDevice, s));
  targets_ = targets;
  mask_ = mask;
  embedding_forward(a(layout_.blocks[0].res), tokens_, p + po_.tok_emb, N_, C, s);
  auto o = train_ops();
  model::blocks_forward(
      o, c_, N_, [&](Index l) { return layout_.block(act_, rstd_, l); },
      [&](Index l) { return model::block_weights(p, po_, l); });
  cross_entropy_head(want_grad ? a(layout_.dc) : nullptr, grads_ + po_.tok_emb, row_loss_, row_correct_, a(logits_),
                     a(layout_.lnf), p + po_.tok_emb, targets, mask, N_, C, V, chunk_rows_, grad_scale, ctx_);
  cross_entropy_totals(totals_, row_loss_, row_correct_, mask, N_, s);
}

void Model::run_backward(const GradReady& ready) {
  const Index C = c_.n_embd;
  const cudaStream_t s = ctx_.stream();
  const bf16* p = weights_;
  float* g = grads_;
  const model::BackwardScratch<bf16*> d = layout_.scratch(act_);
  HERMES_CUDA_CHECK(cudaMemsetAsync(d.dres, 0, N_ * C * sizeof(bf16), s));
  auto o = train_ops();
  model::blocks_backward(
      o, c_, N_, [&](Index l) { return layout_.block(act_, rstd_, l); },
      [&](Index l) { return model::block_weights(p, po_, l); },
      [&](Index l) { return model::block_weights(g, po_, l); }, d,
      [&](Index l) {
        if (ready) ready(l < 0 ? po_.final_norm : po_.layers[static_cast<std::size_t>(l)].ln1);
      });
  embedding_backward(g + po_.tok_emb, d.dres, tokens_, N_, C, s);
  if (ready) ready(0);
}

}  // namespace hermes::backend::cuda
