#include "hermes/model/activations.hpp"

namespace hermes::model {

ActivationLayout activation_layout(const ModelConfig& c, std::int64_t batch, std::int64_t seq_len,
                                   std::int64_t saved_elems, std::int64_t attention_scratch_elems) {
  using Index = std::int64_t;
  const Index N = batch * seq_len, C = c.n_embd, F = c.ffn_hidden, Q = c.qkv_dim();
  ActivationLayout a;
  a.rows = N;
  Index cur = 0;
  auto take = [&](Index n) {
    const Index o = cur;
    cur += arena_round(n);
    return o;
  };
  for (Index l = 0; l < c.n_layer; ++l) {
    ActivationLayout::Block b{};
    b.res = take(N * C);
    b.ln1 = take(N * C);
    b.qkv = take(N * Q);
    b.saved = take(saved_elems);
    b.att = take(N * C);
    b.res_mid = take(N * C);
    b.ln2 = take(N * C);
    b.gate = c.ffn == Ffn::swiglu ? take(N * F) : -1;
    b.up = take(N * F);
    b.act = take(N * F);
    a.blocks.push_back(b);
  }
  a.res_final = take(N * C);
  a.lnf = take(N * C);
  a.dres = take(N * C);
  a.dc = take(N * C);
  a.dc2 = take(N * C);
  a.datt = take(N * C);
  a.dqkv = take(N * Q);
  a.df1 = take(N * F);
  a.df2 = take(N * F);
  a.attention_scratch = take(attention_scratch_elems);
  a.backend_start = cur;
  a.stats_elems = (2 * c.n_layer + 1) * N;
  return a;
}

}  // namespace hermes::model
