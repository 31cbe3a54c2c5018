#include "hermes/model/decoder.hpp"

#include "hermes/backend/ops.hpp"
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
  for (const auto& spec : parameter_layout(c)) {
    offsets_.push_back({spec.name, n_params_});
    n_params_ += spec.numel();
  }
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
              V = c.vocab_size, layer_cache = S_ * L_ * KVH * D;
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
  auto P = [&](const std::string& name) -> const T* {
    const Index o = param_offset(name);
    return o < 0 ? nullptr : p + o;
  };
  ops::embedding_forward(x, tokens.data(), P("tok_emb.weight"), R, C);
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
    ops::embedding_forward(tmp, prev_token_.data(), P("tok_emb.weight"), R, C);
    ops::smear_rows_forward(x, tmp, has_prev_.data(), P("smear.weight"), R, C);
  }
  for (Index l = 0; l < c.n_layer; ++l) {
    const std::string b = "layers." + std::to_string(l) + ".";
    T* kc = kcache_.data() + l * layer_cache;
    T* vc = vcache_.data() + l * layer_cache;
    ops::rmsnorm_forward(h, rstd, x, P(b + "attn_norm.weight"), R, C, c.norm_eps);
    ops::linear_forward(qkv, h, P(b + "attn.qkv.weight"), P(b + "attn.qkv.bias"), R, C, Q);
    ops::rope_at_forward(qkv, rope_cos_.data(), rope_sin_.data(), pos_.data(), R, H, KVH, D);
    ops::kv_cache_write(kc, vc, qkv, slots.data(), pos_.data(), R, L_, H, KVH, D);
    ops::cached_attention_forward(att, scores, qkv, kc, vc, slots.data(), pos_.data(), R, L_, H, KVH, D);
    ops::linear_forward(tmp, att, P(b + "attn.proj.weight"), P(b + "attn.proj.bias"), R, C, C);
    ops::residual_forward(x, x, tmp, R * C);
    ops::rmsnorm_forward(h, rstd, x, P(b + "ffn_norm.weight"), R, C, c.norm_eps);
    if (c.ffn == Ffn::swiglu) {
      ops::linear_forward(gate, h, P(b + "ffn.gate.weight"), P(b + "ffn.gate.bias"), R, C, F);
      ops::linear_forward(up, h, P(b + "ffn.up.weight"), P(b + "ffn.up.bias"), R, C, F);
      ops::swiglu_forward(act, gate, up, R * F);
    } else {
      ops::linear_forward(up, h, P(b + "ffn.up.weight"), P(b + "ffn.up.bias"), R, C, F);
      ops::gelu_forward(act, up, R * F);
    }
    ops::linear_forward(tmp, act, P(b + "ffn.down.weight"), P(b + "ffn.down.bias"), R, F, C);
    ops::residual_forward(x, x, tmp, R * C);
  }
  // The head: every row, or (prefill) only the last one, which is all sampling needs.
  const Index first = last_only ? R - 1 : 0, rows = R - first;
  ops::rmsnorm_forward(h, rstd, x + first * C, P("final_norm.weight"), rows, C, c.norm_eps);
  ops::linear_forward(logits, h, P("tok_emb.weight"), static_cast<const T*>(nullptr), rows, C, V);
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
