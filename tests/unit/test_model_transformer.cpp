// The transformer: allocation follows parameter_layout exactly, the activation layout gives every
// tensor its own region, GPT-2 init statistics, and the whole model's gradient (double) against
// finite differences for GELU+bias, SwiGLU+GQA and SwiGLU with the token shift across a document
// start.
#include <algorithm>
#include <cmath>

#include "hermes/core/error.hpp"
#include "hermes/model/activations.hpp"
#include "hermes/model/transformer.hpp"
#include "../support/small_model.hpp"
#include "ops_check.hpp"

using hermes::model::ModelConfig;
using hermes::model::Transformer;

namespace {
// Large weights so every path contributes visibly to the gradient.
ModelConfig small(hermes::model::Ffn ffn, bool bias, std::int64_t kv) {
  return hermes::testing::small_model(ffn, bias, kv, {.width = 16, .ffn_hidden = 24, .context = 16, .init_std = 0.2});
}
}  // namespace

TEST(ModelTransformer, AllocatesExactlyTheParameterLayout) {
  for (const char* name : {"nano", "tiny", "agentic-50m"}) {
    auto c = hermes::model::preset(name);
    Transformer<float> m(c, 1, 8);
    EXPECT_EQ(m.num_params(), hermes::model::parameter_count(c)) << name;
    const auto layout = hermes::model::parameter_layout(c);
    ASSERT_EQ(m.slots().size(), layout.size());
    std::int64_t off = 0;
    for (std::size_t i = 0; i < layout.size(); ++i) {
      EXPECT_EQ(m.slots()[i].spec.name, layout[i].name);
      EXPECT_EQ(m.slots()[i].offset, off);
      off += layout[i].numel();
    }
  }
}

TEST(ModelTransformer, ActivationArenaMatchesTheInfoEstimate) {
  for (const char* name : {"tiny", "agentic-50m"}) {
    auto c = hermes::model::preset(name);
    c.vocab_size = 4096;  // keep the test's allocation small
    Transformer<float> m(c, 2, 128);
    const auto est = hermes::model::training_memory(c, 2, 128, hermes::model::Precision::fp32);
    const double ratio = static_cast<double>(m.activation_bytes()) / est.activations;
    EXPECT_GT(ratio, 0.97) << name;
    EXPECT_LT(ratio, 1.05) << name;
  }
}

// The activation layout both backends train with: every tensor of every block, the final norm
// and the backward scratch get a region of their own size, on a 16-element boundary, none
// overlapping another, all before backend_start; the statistics hold one row per norm.
TEST(ModelActivations, EveryTensorHasItsOwnAlignedRegion) {
  for (auto ffn : {hermes::model::Ffn::gelu, hermes::model::Ffn::swiglu}) {
    auto c = hermes::model::preset("tiny");
    c.ffn = ffn;
    c.n_kv_head = 2;
    const std::int64_t B = 3, T = 10, N = B * T, C = c.n_embd, Q = c.qkv_dim(), F = c.ffn_hidden;
    const std::int64_t saved = 77, scratch = 5;
    const auto a = hermes::model::activation_layout(c, B, T, saved, scratch);
    ASSERT_EQ(static_cast<std::int64_t>(a.blocks.size()), c.n_layer);
    std::vector<std::pair<std::int64_t, std::int64_t>> regions;  // (start, size)
    for (const auto& b : a.blocks) {
      for (auto [at, n] : {std::pair{b.res, N * C},
                           {b.ln1, N * C},
                           {b.qkv, N * Q},
                           {b.saved, saved},
                           {b.att, N * C},
                           {b.res_mid, N * C},
                           {b.ln2, N * C},
                           {b.up, N * F},
                           {b.act, N * F}})
        regions.push_back({at, n});
      if (ffn == hermes::model::Ffn::swiglu)
        regions.push_back({b.gate, N * F});
      else
        EXPECT_EQ(b.gate, -1);
    }
    for (auto [at, n] : {std::pair{a.res_final, N * C},
                         {a.lnf, N * C},
                         {a.dres, N * C},
                         {a.dc, N * C},
                         {a.dc2, N * C},
                         {a.datt, N * C},
                         {a.dqkv, N * Q},
                         {a.df1, N * F},
                         {a.df2, N * F},
                         {a.attention_scratch, scratch}})
      regions.push_back({at, n});
    std::sort(regions.begin(), regions.end());
    for (std::size_t i = 0; i < regions.size(); ++i) {
      EXPECT_EQ(regions[i].first % 16, 0) << i;
      const std::int64_t end = regions[i].first + regions[i].second;
      if (i + 1 < regions.size()) EXPECT_LE(end, regions[i + 1].first) << "regions " << i << " and " << i + 1;
      EXPECT_LE(end, a.backend_start);
    }
    EXPECT_EQ(a.stats_elems, (2 * c.n_layer + 1) * N);
    // Block l's tensors: its own input, and the next block's (or the final) norm after it.
    std::vector<float> acts(static_cast<std::size_t>(a.backend_start)), stats(static_cast<std::size_t>(a.stats_elems));
    const auto t = a.block(acts.data(), stats.data(), 0);
    EXPECT_EQ(t.next_ln - acts.data(), a.blocks[1].ln1);
    EXPECT_EQ(t.next_rstd - stats.data(), 2 * N);
    const auto last = a.block(acts.data(), stats.data(), c.n_layer - 1);
    EXPECT_EQ(last.next_res - acts.data(), a.res_final);
    EXPECT_EQ(last.next_ln - acts.data(), a.lnf);
    EXPECT_EQ(last.next_rstd - stats.data(), 2 * c.n_layer * N);
  }
}

TEST(ModelTransformer, Gpt2Initialisation) {
  auto c = hermes::model::preset("tiny");
  Transformer<float> m(c, 1, 8);
  m.init(42);
  auto stats = [&](const std::string& name) {
    const auto& s = m.slot(name);
    double sum = 0, sq = 0;
    for (std::int64_t i = 0; i < s.spec.numel(); ++i) {
      sum += m.params()[s.offset + i];
      sq += m.params()[s.offset + i] * m.params()[s.offset + i];
    }
    const double n = static_cast<double>(s.spec.numel());
    return std::make_pair(sum / n, std::sqrt(sq / n - (sum / n) * (sum / n)));
  };
  EXPECT_NEAR(stats("tok_emb.weight").second, 0.02, 0.001);
  EXPECT_NEAR(stats("layers.0.attn.qkv.weight").second, 0.02, 0.001);
  EXPECT_NEAR(stats("layers.1.ffn.down.weight").second, 0.02 / std::sqrt(8.0), 0.0005);
  EXPECT_NEAR(stats("layers.1.attn.proj.weight").second, 0.02 / std::sqrt(8.0), 0.0005);
  EXPECT_EQ(stats("layers.0.attn_norm.weight").first, 1.0);
  EXPECT_EQ(stats("layers.0.attn_norm.weight").second, 0.0);
  EXPECT_EQ(stats("layers.0.attn.qkv.bias").first, 0.0);
}

class ModelGrad : public ::testing::TestWithParam<int> {};

TEST_P(ModelGrad, WholeModelGradientMatchesFiniteDifferences) {
  auto c = GetParam() == 0 ? small(hermes::model::Ffn::gelu, true, 4) : small(hermes::model::Ffn::swiglu, false, 2);
  c.smear = GetParam() == 2;
  const std::int64_t B = 2, T = 5;
  Transformer<double> m(c, B, T);
  m.init(7);
  // Window 1 holds a second document from position 3 (the shift and attention stop there).
  std::vector<std::int32_t> starts{0, 0, 0, 0, 0, 0, 0, 0, 3, 3};
  const std::int32_t* doc = c.smear ? starts.data() : nullptr;
  if (c.smear) {  // gates away from the zero initialisation, so every term of the gradient shows
    const auto& s = m.slot("smear.weight");
    const auto r = hermes::testing::randn(static_cast<std::size_t>(s.spec.numel()), 11, 0.5);
    std::copy(r.begin(), r.end(), m.params() + s.offset);
  }
  std::vector<std::int32_t> in(B * T), tg(B * T);
  for (std::int64_t i = 0; i < B * T; ++i) {
    in[i] = static_cast<std::int32_t>((i * 37 + 11) % 256);
    tg[i] = static_cast<std::int32_t>((i * 53 + 5) % 256);
  }
  std::vector<std::uint8_t> mask(B * T, 1);
  mask[3] = 0;
  m.zero_grads();
  m.forward(in.data(), tg.data(), mask.data(), true, doc);
  m.backward();
  std::vector<double> analytic(m.grads(), m.grads() + m.num_params());
  std::vector<double> params(m.params(), m.params() + m.num_params());
  auto loss = [&] {
    std::copy(params.begin(), params.end(), m.params());
    return m.forward(in.data(), tg.data(), mask.data(), false, doc).loss_sum;
  };
  // Check each tensor separately so a failure names it.
  for (const auto& s : m.slots()) {
    std::vector<double> x(params.begin() + s.offset, params.begin() + s.offset + s.spec.numel());
    std::vector<double> a(analytic.begin() + s.offset, analytic.begin() + s.offset + s.spec.numel());
    auto sub_loss = [&] {
      std::copy(x.begin(), x.end(), params.begin() + s.offset);
      return loss();
    };
    hermes::testing::check_grad(s.spec.name.c_str(), x, a, sub_loss, 1e-5, 40);
    std::copy(x.begin(), x.end(), params.begin() + s.offset);
  }
}

INSTANTIATE_TEST_SUITE_P(GeluSwigluAndSmear, ModelGrad, ::testing::Values(0, 1, 2));

// With document starts a document's outputs do not depend on what was packed before it: the
// second document of a window gives the logits it gives alone at the start of a window (RoPE is
// relative, so the shift changes nothing but rounding), and without the starts they differ.
// With the token shift too: a document's first token takes no share of the one before it.
class DocumentMask : public ::testing::TestWithParam<bool> {};

TEST_P(DocumentMask, MakesADocumentIndependentOfTheOneBeforeIt) {
  auto c = small(hermes::model::Ffn::swiglu, false, 2);
  c.smear = GetParam();
  const std::int64_t T = 12, first = 5, V = c.vocab_size;
  Transformer<double> packed(c, 1, T), alone(c, 1, T);
  packed.init(3);
  alone.init(3);
  std::vector<std::int32_t> in(T), shifted(T, 0), tg(T, 1);
  for (std::int64_t t = 0; t < T; ++t) in[t] = static_cast<std::int32_t>((t * 41 + 7) % V);
  for (std::int64_t t = first; t < T; ++t) shifted[t - first] = in[t];
  std::vector<std::int32_t> starts(T, 0), alone_starts(T, 0);
  for (std::int64_t t = first; t < T; ++t) starts[t] = static_cast<std::int32_t>(first);
  std::vector<std::uint8_t> mask(T, 1);
  alone.forward(shifted.data(), tg.data(), mask.data(), false, alone_starts.data());
  const std::vector<double> ref(alone.logits(), alone.logits() + T * V);
  packed.forward(in.data(), tg.data(), mask.data(), false, starts.data());
  for (std::int64_t t = first; t < T; ++t)
    for (std::int64_t v = 0; v < V; ++v)
      ASSERT_NEAR(packed.logits()[t * V + v], ref[(t - first) * V + v], 1e-9) << "position " << t;
  packed.forward(in.data(), tg.data(), mask.data(), false);
  double differ = 0;
  for (std::int64_t v = 0; v < V; ++v)
    differ = std::max(differ, std::abs(packed.logits()[(T - 1) * V + v] - ref[(T - 1 - first) * V + v]));
  EXPECT_GT(differ, 1e-6) << "without the mask the earlier document is seen";
  // Starts that go backwards are refused before they reach attention.
  starts[T - 1] = 2;
  EXPECT_THROW(packed.forward(in.data(), tg.data(), mask.data(), false, starts.data()), hermes::Error);
}

INSTANTIATE_TEST_SUITE_P(PlainAndSmear, DocumentMask, ::testing::Bool());
