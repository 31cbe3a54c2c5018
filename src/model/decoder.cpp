#include "hermes/model/decoder.hpp"

#include "hermes/backend/host/block_ops.hpp"
#include "hermes/model/block.hpp"
#include "hermes/core/error.hpp"

namespace hermes::model {

namespace ops = hermes::backend::host;

void assign_positions(const ModelConfig& c, const std::vector<std::int32_t>& slots,
                      const std::vector<std::int32_t>& tokens, bool last_only, std::int64_t max_rows,
                      std::vector<std::int64_t>& len, std::int32_t* pos) {
  using Index = std::int64_t;
  const Index R = static_cast<Index>(tokens.size()), S = static_cast<Index>(len.size()), L = c.context_length;
  if (R == 0 || R > max_rows || slots.size() != tokens.size() || (!last_only && R > S))
    fail("internal: decoder forward with {} rows (at most {}, {} with all logits)", R, max_rows, S);
  for (Index r = 0; r < R; ++r) {
    const Index s = slots[r];
    if (s < 0 || s >= S) fail("internal: decoder slot {} outside 0..{}", s, S - 1);
    if (len[s] >= L) fail("sequence in slot {} reached the context length {}", s, L);
    if (tokens[r] < 0 || tokens[r] >= c.vocab_size)
      fail("token id {} is outside the model's vocabulary of {}", tokens[r], c.vocab_size);
    pos[r] = static_cast<std::int32_t>(len[s]++);
  }
}

template <class T>
Decoder<T>::Decoder(const ModelConfig& c, Index max_slots, Index max_rows)
    : config_(c),
      S_(max_slots),
      max_rows_(max_rows),
      L_(c.context_length),
      len_(max_slots, 0),
      last_token_(max_slots, 0) {
  validate(c);
  std::vector<Index> starts;
  for (const auto& spec : parameter_layout(c)) {
    offsets_.push_back({spec.name, n_params_});
    starts.push_back(n_params_);
    n_params_ += spec.numel();
  }
  po_ = param_offsets(c, starts);
  const Index layer_cache = S_ * L_ * c.n_kv_head * c.head_dim();
  params_ = backend::host::HostArray<T>("decoder::params", static_cast<std::size_t>(n_params_));
  kcache_ = backend::host::HostArray<T>("decoder::k_cache", static_cast<std::size_t>(layer_cache * c.n_layer));
  vcache_ = backend::host::HostArray<T>("decoder::v_cache", static_cast<std::size_t>(layer_cache * c.n_layer));
  const Index R = max_rows_, C = c.n_embd, F = c.ffn_hidden, Q = c.qkv_dim();
  // x, h, qkv, att, tmp, gate, up, act, scores, rstd, logits
  const Index work = 4 * R * C + R * Q + 3 * R * F + R * c.n_head * L_ + R + S_ * c.vocab_size;
  work_ = backend::host::HostArray<T>("decoder::work", static_cast<std::size_t>(work));
  rope_cos_ = backend::host::HostArray<T>("decoder::rope_cos", static_cast<std::size_t>(L_ * c.head_dim() / 2));
  rope_sin_ = backend::host::HostArray<T>("decoder::rope_sin", static_cast<std::size_t>(L_ * c.head_dim() / 2));
  ops::rope_table(rope_cos_.data(), rope_sin_.data(), L_, c.head_dim(), c.rope_theta);
}

template <class T>
std::int64_t Decoder<T>::param_offset(const std::string& name) const {
  for (const auto& [n, o] : offsets_)
    if (n == name) return o;
  return -1;
}

template <class T>
const T* Decoder<T>::forward(const std::vector<std::int32_t>& slots, const std::vector<std::int32_t>& tokens,
                             bool last_only) {
  const auto& c = config_;
  const Index R = static_cast<Index>(tokens.size());
  pos_.resize(R);
  assign_positions(c, slots, tokens, last_only, max_rows_, len_, pos_.data());
  const Index C = c.n_embd, F = c.ffn_hidden, Q = c.qkv_dim(), H = c.n_head, KVH = c.n_kv_head, D = c.head_dim(),
              V = c.vocab_size;
  // One set of buffers serves every block: the residual stream x is updated in place, h holds
  // each norm's output in turn.
  T* w = work_.data();
  T* x = w;
  T* h = x + max_rows_ * C;
  T* att = h + max_rows_ * C;
  T* tmp = att + max_rows_ * C;
  T* qkv = tmp + max_rows_ * C;
  T* gate = qkv + max_rows_ * Q;
  T* up = gate + max_rows_ * F;
  T* act = up + max_rows_ * F;
  T* scores = act + max_rows_ * F;
  T* rstd = scores + max_rows_ * H * L_;
  T* logits = rstd + max_rows_;
  const T* p = params_.data();
  ops::embedding_forward(x, tokens.data(), p + po_.tok_emb, R, C);
  if (c.smear) {
    // Each row's predecessor: the row before it in this call, or the slot's last token.
    prev_token_.assign(R, 0);
    has_prev_.assign(R, 0);
    for (Index r = 0; r < R; ++r) {
      const auto s = static_cast<std::size_t>(slots[r]);
      if (pos_[r] > 0) {
        prev_token_[r] = last_token_[s];
        has_prev_[r] = 1;
      }
      last_token_[s] = tokens[r];
    }
    ops::embedding_forward(tmp, prev_token_.data(), p + po_.tok_emb, R, C);
    ops::smear_rows_forward(x, tmp, has_prev_.data(), p + po_.smear, R, C);
  }
  backend::host::DecodeOps<T> o;
  set_shape(o, c);
  o.L = L_;
  o.rope_cos = rope_cos_.data();
  o.rope_sin = rope_sin_.data();
  o.slot = slots.data();
  o.pos = pos_.data();
  o.k_cache = kcache_.data();
  o.v_cache = vcache_.data();
  o.layer_cache = S_ * L_ * KVH * D;
  o.scores = scores;
  BlockTensors<T*, T*> t;
  t.res = t.res_mid = t.next_res = x;
  t.ln1 = t.ln2 = t.next_ln = h;
  t.rstd1 = t.rstd2 = t.next_rstd = rstd;
  t.qkv = qkv;
  t.att = att;
  t.gate = gate;
  t.up = up;
  t.act = act;
  t.out = tmp;
  blocks_forward(
      o, c, R, [&](Index) { return t; }, [&](Index l) { return block_weights(p, po_, l); });
  // The head (h holds the final norm): every row, or (prefill) only the last one, which is all
  // sampling needs.
  const Index first = last_only ? R - 1 : 0, rows = R - first;
  ops::linear_forward(logits, h + first * C, p + po_.tok_emb, static_cast<const T*>(nullptr), rows, C, V);
  return logits;
}

template <class T>
const T* Decoder<T>::prefill(Index slot, const std::vector<std::int32_t>& tokens) {
  const std::vector<std::int32_t> slots(tokens.size(), static_cast<std::int32_t>(slot));
  return forward(slots, tokens, true);
}

template class Decoder<float>;
template class Decoder<double>;

}  // namespace hermes::model
