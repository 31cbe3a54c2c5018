#include "hermes/backend/cuda/model.hpp"

#include <algorithm>

#include "hermes/backend/cuda/activation.cuh"
#include "hermes/backend/cuda/attention_cudnn.hpp"
#include "hermes/backend/cuda/chunking.hpp"
#include "hermes/backend/cuda/cross_entropy.cuh"
#include "hermes/backend/cuda/embedding.cuh"
#include "hermes/backend/cuda/linear.cuh"
#include "hermes/backend/cuda/optimizer.cuh"
#include "hermes/backend/cuda/rmsnorm.cuh"
#include "hermes/backend/cuda/rope.cuh"
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
    const auto po = model::param_offsets(c, offsets);
    wte_ = po.tok_emb;
    lnf_w_ = po.final_norm;
    lp_ = po.layers;
  }
  const Index C = c.n_embd, F = c.ffn_hidden, Q = c.qkv_dim(), H = c.n_head, V = c.vocab_size, D = c.head_dim();
  const bool swiglu = c.ffn == model::Ffn::swiglu;
  // The attention path decides what each layer keeps for backward: probabilities or statistics.
  attn_ = choose_attention(true, ctx, B_, T_, H, c.n_kv_head, D, sdpa_);
  chunk_rows_ = chunk_rows_for(N_, logits_ld(V), logits_budget);
  Index cur = 0;
  auto take = [&](Index n) {
    const Index o = cur;
    cur += round16(n);
    return o;
  };
  for (Index l = 0; l < c.n_layer; ++l) {
    LayerActs x{};
    x.res = take(N_ * C);
    x.ln1 = take(N_ * C);
    x.qkv = take(N_ * Q);
    x.probs = take(attention_saved_elems(attn_, B_, T_, H));  // cudnn_fused: (B, H, T) fp32 stats
    x.atty = take(N_ * C);
    x.res_mid = take(N_ * C);
    x.ln2 = take(N_ * C);
    x.gate = swiglu ? take(N_ * F) : -1;
    x.up = take(N_ * F);
    x.act = take(N_ * F);
    la_.push_back(x);
  }
  res_final_ = take(N_ * C);
  lnf_ = take(N_ * C);
  logits_ = take(chunk_rows_ * logits_ld(V));
  s_dres_ = take(N_ * C);
  s_dc_ = take(N_ * C);
  s_dc2_ = take(N_ * C);
  s_datt_ = take(N_ * C);
  s_dqkv_ = take(N_ * Q);
  s_df1_ = take(N_ * F);
  s_df2_ = take(N_ * F);
  s_attn_ = take(attention_scratch_elems(attn_, B_, T_, H, D));
  s_out_ = s_dc2_;
  master_ = blocks_.alloc<float>(n_params_, bytes_);
  grads_ = blocks_.alloc<float>(n_params_, bytes_);
  weights_ = blocks_.alloc<bf16>(n_params_, bytes_);
  act_ = blocks_.alloc<bf16>(cur, bytes_);
  rstd_ = blocks_.alloc<float>((2 * c.n_layer + 1) * N_, bytes_);
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

// Forward; with want_grad the head also runs its backward (dlnf into s_dc_, dWte +=), chunk by
// chunk, because the chunk's logits are gone afterwards.
void Model::run_forward(const std::int32_t* inputs, const std::int32_t* targets, const std::uint8_t* mask,
                        bool want_grad, float grad_scale) {
  const Index C = c_.n_embd, F = c_.ffn_hidden, Q = c_.qkv_dim(), H = c_.n_head, KVH = c_.n_kv_head, D = c_.head_dim(),
              V = c_.vocab_size;
  const cudaStream_t s = ctx_.stream();
  const bf16* p = weights_;
  auto bias = [&](Index o) { return o < 0 ? nullptr : p + o; };
  HERMES_CUDA_CHECK(cudaMemcpyAsync(tokens_, inputs, N_ * sizeof(std::int32_t), cudaMemcpyDeviceToDevice, s));
  targets_ = targets;
  mask_ = mask;
  embedding_forward(a(la_.empty() ? res_final_ : la_[0].res), tokens_, p + wte_, N_, C, s);
  for (Index l = 0; l < c_.n_layer; ++l) {
    const auto& x = la_[l];
    const auto& w = lp_[l];
    float* rstd1 = rstd_ + (2 * l) * N_;
    float* rstd2 = rstd_ + (2 * l + 1) * N_;
    if (l == 0) rmsnorm_forward(a(x.ln1), rstd1, a(x.res), p + w.ln1, N_, C, c_.norm_eps, s);
    linear_forward(a(x.qkv), a(x.ln1), p + w.qkv_w, bias(w.qkv_b), N_, C, Q, ctx_);
    rope_forward(a(x.qkv), rope_cos_, rope_sin_, B_, T_, H, KVH, D, s);
    if (sdpa_)
      sdpa_->forward(a(x.atty), reinterpret_cast<float*>(a(x.probs)), a(x.qkv));
    else
      attention_forward(a(x.atty), a(x.probs), a(x.qkv), B_, T_, H, KVH, D, a(s_attn_), ctx_);
    linear_forward(a(s_out_), a(x.atty), p + w.proj_w, bias(w.proj_b), N_, C, C, ctx_);
    residual_rmsnorm_forward(a(x.res_mid), a(x.ln2), rstd2, a(x.res), a(s_out_), p + w.ln2, N_, C, c_.norm_eps, s);
    if (c_.ffn == model::Ffn::swiglu) {
      linear_forward(a(x.gate), a(x.ln2), p + w.gate_w, bias(w.gate_b), N_, C, F, ctx_);
      linear_forward(a(x.up), a(x.ln2), p + w.up_w, bias(w.up_b), N_, C, F, ctx_);
      swiglu_forward(a(x.act), a(x.gate), a(x.up), N_ * F, s);
    } else {
      linear_gelu_forward(a(x.act), a(x.up), a(x.ln2), p + w.up_w, bias(w.up_b), N_, C, F, ctx_);
    }
    linear_forward(a(s_out_), a(x.act), p + w.down_w, bias(w.down_b), N_, F, C, ctx_);
    // x_{l+1} = x_mid + f, normalised at once for the next block (or the final norm).
    const bool last = l + 1 == c_.n_layer;
    const Index next = last ? res_final_ : la_[l + 1].res;
    const Index next_ln = last ? lnf_ : la_[l + 1].ln1;
    float* next_rstd = last ? rstd_ + 2 * c_.n_layer * N_ : rstd_ + (2 * (l + 1)) * N_;
    residual_rmsnorm_forward(a(next), a(next_ln), next_rstd, a(x.res_mid), a(s_out_),
                             p + (last ? lnf_w_ : lp_[l + 1].ln1), N_, C, c_.norm_eps, s);
  }
  if (c_.n_layer == 0) rmsnorm_forward(a(lnf_), rstd_, a(res_final_), p + lnf_w_, N_, C, c_.norm_eps, s);
  cross_entropy_head(want_grad ? a(s_dc_) : nullptr, grads_ + wte_, row_loss_, row_correct_, a(logits_), a(lnf_),
                     p + wte_, targets, mask, N_, C, V, chunk_rows_, grad_scale, ctx_);
  cross_entropy_totals(totals_, row_loss_, row_correct_, mask, N_, s);
}

void Model::run_backward(const GradReady& ready) {
  const Index C = c_.n_embd, F = c_.ffn_hidden, Q = c_.qkv_dim(), H = c_.n_head, KVH = c_.n_kv_head, D = c_.head_dim();
  const cudaStream_t s = ctx_.stream();
  const bf16* p = weights_;
  float* g = grads_;
  auto gb = [&](Index o) { return o < 0 ? nullptr : g + o; };
  bf16* dres = a(s_dres_);
  HERMES_CUDA_CHECK(cudaMemsetAsync(dres, 0, N_ * C * sizeof(bf16), s));
  rmsnorm_backward(dres, g + lnf_w_, a(s_dc_), a(res_final_), p + lnf_w_, rstd_ + 2 * c_.n_layer * N_, N_, C, s);
  if (ready) ready(lnf_w_);
  for (Index l = c_.n_layer - 1; l >= 0; --l) {
    const auto& x = la_[l];
    const auto& w = lp_[l];
    const float* rstd1 = rstd_ + (2 * l) * N_;
    const float* rstd2 = rstd_ + (2 * l + 1) * N_;
    if (c_.ffn == model::Ffn::swiglu) {
      linear_backward(a(s_df1_), g + w.down_w, gb(w.down_b), dres, a(x.act), p + w.down_w, N_, F, C, ctx_);
      swiglu_backward(a(s_df2_), a(s_df1_), a(x.gate), a(x.up), a(s_df1_), N_ * F, s);
      linear_backward(a(s_dc_), g + w.up_w, gb(w.up_b), a(s_df1_), a(x.ln2), p + w.up_w, N_, C, F, ctx_);
      linear_backward(a(s_dc2_), g + w.gate_w, gb(w.gate_b), a(s_df2_), a(x.ln2), p + w.gate_w, N_, C, F, ctx_);
      residual_forward(a(s_dc_), a(s_dc_), a(s_dc2_), N_ * C, s);
    } else {
      // d(pre-activation of the GELU) straight out of the down projection's dinp GEMM.
      linear_backward_dgelu(a(s_df1_), g + w.down_w, gb(w.down_b), dres, a(x.act), p + w.down_w, a(x.up), N_, F, C,
                            ctx_);
      linear_backward(a(s_dc_), g + w.up_w, gb(w.up_b), a(s_df1_), a(x.ln2), p + w.up_w, N_, C, F, ctx_);
    }
    rmsnorm_backward(dres, g + w.ln2, a(s_dc_), a(x.res_mid), p + w.ln2, rstd2, N_, C, s);
    linear_backward(a(s_datt_), g + w.proj_w, gb(w.proj_b), dres, a(x.atty), p + w.proj_w, N_, C, C, ctx_);
    if (sdpa_)  // O is this layer's attention output, still in x.atty
      sdpa_->backward(a(s_dqkv_), a(s_datt_), a(x.qkv), a(x.atty), reinterpret_cast<const float*>(a(x.probs)));
    else
      attention_backward(a(s_dqkv_), a(s_attn_), a(s_datt_), a(x.qkv), a(x.probs), B_, T_, H, KVH, D, ctx_);
    rope_backward(a(s_dqkv_), rope_cos_, rope_sin_, B_, T_, H, KVH, D, s);
    linear_backward(a(s_dc_), g + w.qkv_w, gb(w.qkv_b), a(s_dqkv_), a(x.ln1), p + w.qkv_w, N_, C, Q, ctx_);
    rmsnorm_backward(dres, g + w.ln1, a(s_dc_), a(x.res), p + w.ln1, rstd1, N_, C, s);
    if (ready) ready(w.ln1);
  }
  embedding_backward(g + wte_, dres, tokens_, N_, C, s);
  if (ready) ready(0);
}

}  // namespace hermes::backend::cuda
