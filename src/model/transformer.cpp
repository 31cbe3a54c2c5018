#include "hermes/model/transformer.hpp"

#include <cmath>
#include <random>

#include "hermes/backend/ops.hpp"
#include "hermes/core/error.hpp"

namespace hermes::model {

namespace ops = hermes::backend::host;

template <class T>
Transformer<T>::Transformer(const ModelConfig& c, Index batch, Index seq_len)
    : config_(c), B_(batch), T_(seq_len), N_(batch * seq_len) {
  validate(c);
  if (seq_len > c.context_length)
    fail("train.seq_len = {} exceeds model.context_length = {}; lower seq_len or raise context_length", seq_len,
         c.context_length);
  slots_ = contiguous_slots(c);
  n_params_ = contiguous_size(slots_);
  {
    const auto po = model::param_offsets(c, tensor_begins(slots_));
    wte_ = po.tok_emb;
    smear_w_ = po.smear;
    lnf_w_ = po.final_norm;
    lp_ = po.layers;
  }

  const Index C = c.n_embd, F = c.ffn_hidden, Q = c.qkv_dim(), H = c.n_head, V = c.vocab_size;
  const bool swiglu = c.ffn == Ffn::swiglu;
  Index cur = 0;
  auto take = [&](Index n) {
    const Index o = cur;
    cur += (n + 15) / 16 * 16;  // 64-byte aligned starts for float
    return o;
  };
  for (Index l = 0; l < c.n_layer; ++l) {
    LayerActs a{};
    a.res = take(N_ * C);
    a.ln1 = take(N_ * C);
    a.rstd1 = take(N_);
    a.qkv = take(N_ * Q);
    a.lse = take(B_ * H * T_);
    a.atty = take(N_ * C);
    a.res_mid = take(N_ * C);
    a.ln2 = take(N_ * C);
    a.rstd2 = take(N_);
    a.gate = swiglu ? take(N_ * F) : -1;
    a.up = take(N_ * F);
    a.act = take(N_ * F);
    la_.push_back(a);
  }
  if (c.smear) {
    emb_ = take(N_ * C);
    smear_gate_ = take(N_);
    s_smear_dz_ = take(N_);
  }
  res_final_ = take(N_ * C);
  lnf_ = take(N_ * C);
  rstdf_ = take(N_);
  logits_ = take(N_ * V);
  row_loss_ = take(N_);
  rope_cos_ = take(T_ * c.head_dim() / 2);
  rope_sin_ = take(T_ * c.head_dim() / 2);
  // Backward scratch, reused by every block.
  s_dres_ = take(N_ * C);
  s_dc_ = take(N_ * C);
  s_dc2_ = take(N_ * C);
  s_datt_ = take(N_ * C);
  s_dqkv_ = take(N_ * Q);
  s_df1_ = take(N_ * F);
  s_df2_ = take(N_ * F);
  s_attn_ = take(backend::host::attention_scratch_elems(T_));
  s_out_ = s_dc2_;  // forward uses it for projection outputs before the residual add
  act_elems_ = cur;

  params_ = backend::host::HostArray<T>("model::params", static_cast<std::size_t>(n_params_));
  grads_ = backend::host::HostArray<T>("model::grads", static_cast<std::size_t>(n_params_));
  acts_ = backend::host::HostArray<T>("model::activations", static_cast<std::size_t>(act_elems_));
  tokens_ = backend::host::HostArray<std::int32_t>("model::tokens", static_cast<std::size_t>(N_));
  row_correct_ = backend::host::HostArray<std::int32_t>("model::row_correct", static_cast<std::size_t>(N_));
  doc_start_ = backend::host::HostArray<std::int32_t>("model::doc_start", static_cast<std::size_t>(N_));
  ops::rope_table(act(rope_cos_), act(rope_sin_), T_, c.head_dim(), c.rope_theta);
}

template <class T>
const ParamSlot& Transformer<T>::slot(const std::string& name) const {
  for (const auto& s : slots_)
    if (s.spec.name == name) return s;
  fail("internal: no parameter named '{}'", name);
}

template <class T>
std::size_t Transformer<T>::activation_bytes() const {
  return static_cast<std::size_t>(act_elems_) * sizeof(T) + static_cast<std::size_t>(2 * N_) * 4;
}

std::vector<ParamSlot> contiguous_slots(const ModelConfig& config) {
  std::vector<ParamSlot> out;
  std::int64_t offset = 0;
  for (const auto& spec : parameter_layout(config)) {
    out.push_back({spec, offset});
    offset += spec.numel();
  }
  return out;
}

std::int64_t contiguous_size(const std::vector<ParamSlot>& slots) {
  return slots.empty() ? 0 : slots.back().offset + slots.back().spec.numel();
}

std::vector<std::int64_t> tensor_begins(const std::vector<ParamSlot>& slots) {
  std::vector<std::int64_t> begins;
  for (const auto& s : slots) begins.push_back(s.offset);
  return begins;
}

template <class T>
void init_parameters(const ModelConfig& config, const std::vector<ParamSlot>& slots, std::uint64_t seed, T* p) {
  std::mt19937_64 rng(seed);
  const double std0 = config.init_std;
  const double std_res = std0 / std::sqrt(2.0 * static_cast<double>(config.n_layer));
  for (const auto& s : slots) {
    const auto& name = s.spec.name;
    const bool norm = name.find("norm") != std::string::npos;
    // A zero gate vector starts the token shift at sigmoid(0) = 1/2 for every token.
    const bool zero = name == "smear.weight";
    const bool bias = name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
    const bool resid =
        name.find("attn.proj.weight") != std::string::npos || name.find("ffn.down.weight") != std::string::npos;
    std::normal_distribution<double> dist(0.0, resid ? std_res : std0);
    for (std::int64_t i = 0; i < s.spec.numel(); ++i)
      p[s.offset + i] = norm ? T(1) : (bias || zero) ? T(0) : static_cast<T>(dist(rng));
  }
}
template void init_parameters<float>(const ModelConfig&, const std::vector<ParamSlot>&, std::uint64_t, float*);
template void init_parameters<double>(const ModelConfig&, const std::vector<ParamSlot>&, std::uint64_t, double*);

template <class T>
void Transformer<T>::zero_grads() {
  Kokkos::deep_copy(grads_, T(0));
}

template <class T>
backend::host::CrossEntropyStats Transformer<T>::forward(const std::int32_t* inputs, const std::int32_t* targets,
                                                         const std::uint8_t* mask, bool want_grad,
                                                         const std::int32_t* doc_start) {
  const auto& c = config_;
  const Index C = c.n_embd, F = c.ffn_hidden, Q = c.qkv_dim(), H = c.n_head, KVH = c.n_kv_head, D = c.head_dim(),
              V = c.vocab_size;
  const T* p = params();
  check_token_ids(inputs, targets, N_, V);
  std::int32_t* tok = tokens_.data();
  std::copy(inputs, inputs + N_, tok);
  doc_mask_ = doc_start != nullptr;
  if (doc_mask_) {
    check_doc_starts(doc_start, B_, T_);
    std::copy(doc_start, doc_start + N_, doc_start_.data());
  }
  const std::int32_t* starts = doc_mask_ ? doc_start_.data() : nullptr;
  const Index x0 = la_.empty() ? res_final_ : la_[0].res;
  if (c.smear) {
    ops::embedding_forward(act(emb_), tok, p + wte_, N_, C);
    ops::smear_forward(act(x0), act(smear_gate_), act(emb_), p + smear_w_, starts, B_, T_, C);
  } else {
    ops::embedding_forward(act(x0), tok, p + wte_, N_, C);
  }
  for (Index l = 0; l < c.n_layer; ++l) {
    const auto& a = la_[l];
    const auto& w = lp_[l];
    auto bias = [&](Index o) { return o < 0 ? nullptr : p + o; };
    ops::rmsnorm_forward(act(a.ln1), act(a.rstd1), act(a.res), p + w.ln1, N_, C, c.norm_eps);
    ops::linear_forward(act(a.qkv), act(a.ln1), p + w.qkv_w, bias(w.qkv_b), N_, C, Q);
    ops::rope_forward(act(a.qkv), act(rope_cos_), act(rope_sin_), B_, T_, H, KVH, D);
    ops::attention_forward(act(a.atty), act(a.lse), act(a.qkv), B_, T_, H, KVH, D, act(s_attn_), starts);
    ops::linear_forward(act(s_out_), act(a.atty), p + w.proj_w, bias(w.proj_b), N_, C, C);
    ops::residual_forward(act(a.res_mid), act(a.res), act(s_out_), N_ * C);
    ops::rmsnorm_forward(act(a.ln2), act(a.rstd2), act(a.res_mid), p + w.ln2, N_, C, c.norm_eps);
    if (c.ffn == Ffn::swiglu) {
      ops::linear_forward(act(a.gate), act(a.ln2), p + w.gate_w, bias(w.gate_b), N_, C, F);
      ops::linear_forward(act(a.up), act(a.ln2), p + w.up_w, bias(w.up_b), N_, C, F);
      ops::swiglu_forward(act(a.act), act(a.gate), act(a.up), N_ * F);
    } else {
      ops::linear_forward(act(a.up), act(a.ln2), p + w.up_w, bias(w.up_b), N_, C, F);
      ops::gelu_forward(act(a.act), act(a.up), N_ * F);
    }
    ops::linear_forward(act(s_out_), act(a.act), p + w.down_w, bias(w.down_b), N_, F, C);
    const Index next = l + 1 < c.n_layer ? la_[l + 1].res : res_final_;
    ops::residual_forward(act(next), act(a.res_mid), act(s_out_), N_ * C);
  }
  ops::rmsnorm_forward(act(lnf_), act(rstdf_), act(res_final_), p + lnf_w_, N_, C, c.norm_eps);
  ops::linear_forward(act(logits_), act(lnf_), p + wte_, static_cast<const T*>(nullptr), N_, C, V);
  return ops::cross_entropy_forward_backward(act(logits_), act(row_loss_), row_correct_.data(), targets, mask, N_, V,
                                             T(1), want_grad);
}

template <class T>
void Transformer<T>::backward(const GradReady& ready) {
  const auto& c = config_;
  const Index C = c.n_embd, F = c.ffn_hidden, Q = c.qkv_dim(), H = c.n_head, KVH = c.n_kv_head, D = c.head_dim(),
              V = c.vocab_size;
  const T* p = params();
  T* g = grads();
  auto gb = [&](Index o) { return o < 0 ? nullptr : g + o; };
  T* dres = act(s_dres_);
  // Head: logits hold dlogits. The tied embedding's gradient gets its output-projection share now
  // and its lookup share at the very end.
  ops::linear_backward(act(s_dc_), g + wte_, static_cast<T*>(nullptr), act(logits_), act(lnf_), p + wte_, N_, C, V);
  Kokkos::deep_copy(Kokkos::subview(acts_, std::make_pair(s_dres_, s_dres_ + N_ * C)), T(0));
  ops::rmsnorm_backward(dres, g + lnf_w_, act(s_dc_), act(res_final_), p + lnf_w_, act(rstdf_), N_, C);
  if (ready) ready(lnf_w_);
  for (Index l = c.n_layer - 1; l >= 0; --l) {
    const auto& a = la_[l];
    const auto& w = lp_[l];
    // FFN: dres is d(x_{l+1}) = d(f) = d(x_mid) through the skip.
    ops::linear_backward(act(s_df1_), g + w.down_w, gb(w.down_b), dres, act(a.act), p + w.down_w, N_, F, C);
    if (c.ffn == Ffn::swiglu) {
      ops::swiglu_backward(act(s_df2_), act(s_df1_), act(a.gate), act(a.up), act(s_df1_), N_ * F);
      ops::linear_backward(act(s_dc_), g + w.up_w, gb(w.up_b), act(s_df1_), act(a.ln2), p + w.up_w, N_, C, F);
      ops::linear_backward(act(s_dc2_), g + w.gate_w, gb(w.gate_b), act(s_df2_), act(a.ln2), p + w.gate_w, N_, C, F);
      ops::residual_forward(act(s_dc_), act(s_dc_), act(s_dc2_), N_ * C);
    } else {
      ops::gelu_backward(act(s_df1_), act(a.up), act(s_df1_), N_ * F);
      ops::linear_backward(act(s_dc_), g + w.up_w, gb(w.up_b), act(s_df1_), act(a.ln2), p + w.up_w, N_, C, F);
    }
    ops::rmsnorm_backward(dres, g + w.ln2, act(s_dc_), act(a.res_mid), p + w.ln2, act(a.rstd2), N_, C);
    // Attention: dres is now d(x_mid).
    ops::linear_backward(act(s_datt_), g + w.proj_w, gb(w.proj_b), dres, act(a.atty), p + w.proj_w, N_, C, C);
    ops::attention_backward(act(s_dqkv_), act(s_attn_), act(s_datt_), act(a.qkv), act(a.lse), B_, T_, H, KVH, D,
                            doc_mask_ ? doc_start_.data() : nullptr);
    ops::rope_backward(act(s_dqkv_), act(rope_cos_), act(rope_sin_), B_, T_, H, KVH, D);
    ops::linear_backward(act(s_dc_), g + w.qkv_w, gb(w.qkv_b), act(s_dqkv_), act(a.ln1), p + w.qkv_w, N_, C, Q);
    ops::rmsnorm_backward(dres, g + w.ln1, act(s_dc_), act(a.res), p + w.ln1, act(a.rstd1), N_, C);
    if (ready) ready(w.ln1);
  }
  if (c.smear) {
    ops::smear_backward(act(s_dc_), g + smear_w_, act(s_smear_dz_), dres, act(emb_), act(smear_gate_), p + smear_w_, B_,
                        T_, C);
    dres = act(s_dc_);
  }
  ops::embedding_backward(g + wte_, dres, tokens_.data(), N_, C);
  if (ready) ready(0);
}

template class Transformer<float>;
template class Transformer<double>;

}  // namespace hermes::model
