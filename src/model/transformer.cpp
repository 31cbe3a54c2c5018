#include "hermes/model/transformer.hpp"

#include <cmath>
#include <random>

#include "hermes/backend/host/block_ops.hpp"
#include "hermes/core/error.hpp"
#include "hermes/model/block.hpp"

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
  po_ = model::param_offsets(c, tensor_begins(slots_));

  const Index C = c.n_embd, H = c.n_head, V = c.vocab_size;
  // The shared layout (attention keeps each row's log-sum-exp), then what only the host keeps.
  layout_ = activation_layout(c, B_, T_, B_ * H * T_, backend::host::attention_scratch_elems(T_));
  Index cur = layout_.backend_start;
  auto take = [&](Index n) {
    const Index o = cur;
    cur += arena_round(n);
    return o;
  };
  if (c.smear) {
    emb_ = take(N_ * C);
    smear_gate_ = take(N_);
    s_smear_dz_ = take(N_);
  }
  logits_ = take(N_ * V);
  row_loss_ = take(N_);
  rope_cos_ = take(T_ * c.head_dim() / 2);
  rope_sin_ = take(T_ * c.head_dim() / 2);
  act_elems_ = cur;

  params_ = backend::host::HostArray<T>("model::params", static_cast<std::size_t>(n_params_));
  grads_ = backend::host::HostArray<T>("model::grads", static_cast<std::size_t>(n_params_));
  acts_ = backend::host::HostArray<T>("model::activations", static_cast<std::size_t>(act_elems_));
  stats_ = backend::host::HostArray<T>("model::norm_stats", static_cast<std::size_t>(layout_.stats_elems));
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
  return static_cast<std::size_t>(act_elems_ + layout_.stats_elems) * sizeof(T) + static_cast<std::size_t>(2 * N_) * 4;
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
backend::host::TrainOps<T> Transformer<T>::train_ops() {
  const auto& c = config_;
  backend::host::TrainOps<T> o;
  set_shape(o, c);
  o.B = B_;
  o.T_len = T_;
  o.rope_cos = act(rope_cos_);
  o.rope_sin = act(rope_sin_);
  o.scratch = act(layout_.attention_scratch);
  o.doc_start = doc_mask_ ? doc_start_.data() : nullptr;
  return o;
}

template <class T>
backend::host::CrossEntropyStats Transformer<T>::forward(const std::int32_t* inputs, const std::int32_t* targets,
                                                         const std::uint8_t* mask, bool want_grad,
                                                         const std::int32_t* doc_start) {
  const auto& c = config_;
  const Index C = c.n_embd, V = c.vocab_size;
  const T* p = params();
  check_token_ids(inputs, targets, N_, V);
  std::int32_t* tok = tokens_.data();
  std::copy(inputs, inputs + N_, tok);
  doc_mask_ = doc_start != nullptr;
  if (doc_mask_) {
    check_doc_starts(doc_start, B_, T_);
    std::copy(doc_start, doc_start + N_, doc_start_.data());
  }
  const Index x0 = layout_.blocks[0].res;
  if (c.smear) {
    ops::embedding_forward(act(emb_), tok, p + po_.tok_emb, N_, C);
    ops::smear_forward(act(x0), act(smear_gate_), act(emb_), p + po_.smear, doc_mask_ ? doc_start_.data() : nullptr, B_,
                       T_, C);
  } else {
    ops::embedding_forward(act(x0), tok, p + po_.tok_emb, N_, C);
  }
  auto o = train_ops();
  blocks_forward(
      o, c, N_, [&](Index l) { return layout_.block(acts_.data(), stats_.data(), l); },
      [&](Index l) { return block_weights(p, po_, l); });
  ops::linear_forward(act(logits_), act(layout_.lnf), p + po_.tok_emb, static_cast<const T*>(nullptr), N_, C, V);
  return ops::cross_entropy_forward_backward(act(logits_), act(row_loss_), row_correct_.data(), targets, mask, N_, V,
                                             T(1), want_grad);
}

template <class T>
void Transformer<T>::backward(const GradReady& ready) {
  const auto& c = config_;
  const Index C = c.n_embd, V = c.vocab_size;
  const T* p = params();
  T* g = grads();
  // Head: logits hold dlogits. The tied embedding's gradient gets its output-projection share now
  // and its lookup share at the very end.
  const BackwardScratch<T*> d = layout_.scratch(acts_.data());
  ops::linear_backward(d.dc, g + po_.tok_emb, static_cast<T*>(nullptr), act(logits_), act(layout_.lnf), p + po_.tok_emb,
                       N_, C, V);
  Kokkos::deep_copy(Kokkos::subview(acts_, std::make_pair(layout_.dres, layout_.dres + N_ * C)), T(0));
  auto o = train_ops();
  blocks_backward(
      o, c, N_, [&](Index l) { return layout_.block(acts_.data(), stats_.data(), l); },
      [&](Index l) { return block_weights(p, po_, l); }, [&](Index l) { return block_weights(g, po_, l); }, d,
      [&](Index l) {
        if (ready) ready(l < 0 ? po_.final_norm : po_.layers[static_cast<std::size_t>(l)].ln1);
      });
  T* dres = d.dres;
  if (c.smear) {
    ops::smear_backward(d.dc, g + po_.smear, act(s_smear_dz_), dres, act(emb_), act(smear_gate_), p + po_.smear, B_, T_,
                        C);
    dres = d.dc;
  }
  ops::embedding_backward(g + po_.tok_emb, dres, tokens_.data(), N_, C);
  if (ready) ready(0);
}

template class Transformer<float>;
template class Transformer<double>;

}  // namespace hermes::model
