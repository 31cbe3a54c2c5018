// Decoding with the K/V cache against full recomputation: the training Transformer run over the
// whole sequence so far (an independent path: BLAS causal attention, RoPE tables by sequence)
// gives the same logits (up to the row's constant) at every position, and greedy decoding picks
// the same tokens, with and without the token shift.
// Also: sampling is reproducible under a fixed seed and honours top-k / top-p.
#include <gtest/gtest.h>

#include "../support/small_model.hpp"

#include <cmath>
#include <random>
#include <set>

#include "hermes/core/error.hpp"
#include "hermes/generate/generator.hpp"
#include "hermes/model/decoder.hpp"
#include "hermes/model/transformer.hpp"
#include "hermes/tokenizer/tokenizer.hpp"

using hermes::model::ModelConfig;

namespace {
ModelConfig small(hermes::model::Ffn ffn, bool bias, std::int64_t kv) {
  return hermes::testing::small_model(ffn, bias, kv);
}

std::int32_t argmax(const double* x, std::int64_t n) {
  std::int64_t b = 0;
  for (std::int64_t i = 1; i < n; ++i)
    if (x[i] > x[b]) b = i;
  return static_cast<std::int32_t>(b);
}
}  // namespace

TEST(GenerateDecoder, KvCacheGreedyEqualsFullRecomputation) {
  for (auto [ffn, bias, kv, smear] :
       {std::tuple{hermes::model::Ffn::gelu, true, 4, false}, std::tuple{hermes::model::Ffn::swiglu, false, 2, false},
        std::tuple{hermes::model::Ffn::swiglu, false, 2, true}}) {
    auto c = small(ffn, bias, kv);
    c.smear = smear;
    const std::int64_t T = c.context_length, V = c.vocab_size;
    hermes::model::Transformer<double> full(c, 1, T);
    full.init(7);
    if (smear) {  // per-token gates instead of the initial 1/2 everywhere
      const auto& s = full.slot("smear.weight");
      std::mt19937_64 rng(5);
      std::normal_distribution<double> d(0.0, 3.0);
      for (std::int64_t i = 0; i < s.spec.numel(); ++i) full.params()[s.offset + i] = d(rng);
    }
    hermes::model::Decoder<double> dec(c, 2, T);
    std::copy(full.params(), full.params() + full.num_params(), dec.params());

    const std::vector<std::int32_t> prompt = {3, 17, 42, 5, 9, 1, 33};
    // Cached: prefill, then one token at a time (slot 1, with slot 0 holding another sequence).
    dec.prefill(0, {11, 12, 13});
    std::vector<std::int32_t> cached = prompt;
    const double* lg = dec.prefill(1, prompt);
    std::vector<std::vector<double>> cached_logits;
    while (static_cast<std::int64_t>(cached.size()) < T) {
      cached_logits.emplace_back(lg, lg + V);
      const auto t = argmax(lg, V);
      cached.push_back(t);
      if (static_cast<std::int64_t>(cached.size()) == T) break;
      lg = dec.forward({0, 1}, {t, t}) + V;  // row 1 is slot 1
    }
    // Full recomputation: the whole sequence so far (padded; causal) through the Transformer.
    std::vector<std::int32_t> seq = prompt;
    std::vector<std::int32_t> padded(T, 0), targets(T, 0);
    std::size_t step = 0;
    while (static_cast<std::int64_t>(seq.size()) < T) {
      std::copy(seq.begin(), seq.end(), padded.begin());
      full.forward(padded.data(), targets.data(), nullptr, false);
      // The fused cross-entropy leaves exp(z - max z) in the row: compare z - max z on both sides.
      const double* row = full.logits() + (seq.size() - 1) * V;
      const auto& mine = cached_logits[step];
      const double mx = mine[argmax(mine.data(), V)];
      std::vector<double> shifted(V);
      for (std::int64_t v = 0; v < V; ++v) {
        shifted[v] = std::log(row[v]);
        ASSERT_NEAR(shifted[v], mine[v] - mx, 1e-9) << "step " << step << " token " << v;
      }
      seq.push_back(argmax(shifted.data(), V));
      ++step;
    }
    EXPECT_EQ(seq, cached);
    EXPECT_GT(std::set<std::int32_t>(cached.begin() + 7, cached.end()).size(), 1u);  // not degenerate
  }
}

TEST(GenerateDecoder, RefusesToPassTheContext) {
  const auto c = small(hermes::model::Ffn::gelu, false, 4);
  hermes::model::Decoder<float> dec(c, 1, c.context_length);
  std::vector<std::int32_t> all(c.context_length, 1);
  dec.prefill(0, all);
  EXPECT_THROW(dec.forward({0}, {1}), hermes::Error);
}

TEST(GenerateSampler, GreedyTopKTopPAndSeeds) {
  const std::vector<float> logits = {0.0f, 2.0f, 1.0f, 3.0f, -1.0f, 2.5f};
  std::mt19937_64 rng(1);
  hermes::generate::Sampling greedy{0.0, 0, 1.0};
  EXPECT_EQ(hermes::generate::sample_token(logits.data(), 6, greedy, rng), 3);
  // top_k = 2 keeps ids 3 and 5 only.
  hermes::generate::Sampling k2{1.0, 2, 1.0};
  std::set<std::int32_t> seen;
  for (int i = 0; i < 200; ++i) seen.insert(hermes::generate::sample_token(logits.data(), 6, k2, rng));
  EXPECT_EQ(seen, (std::set<std::int32_t>{3, 5}));
  // top_p: p(3) = e^3 / sum ~ 0.47 here; a mass of 0.4 keeps id 3 alone.
  hermes::generate::Sampling p4{1.0, 0, 0.4};
  for (int i = 0; i < 50; ++i) EXPECT_EQ(hermes::generate::sample_token(logits.data(), 6, p4, rng), 3);
  // Same seed, same draws; another seed, other draws. Frequencies follow softmax(logits).
  hermes::generate::Sampling all{1.0, 0, 1.0};
  std::mt19937_64 a(99), b(99), c(100);
  std::vector<std::int32_t> xa, xb, xc;
  std::vector<int> count(6, 0);
  for (int i = 0; i < 4000; ++i) {
    xa.push_back(hermes::generate::sample_token(logits.data(), 6, all, a));
    xb.push_back(hermes::generate::sample_token(logits.data(), 6, all, b));
    xc.push_back(hermes::generate::sample_token(logits.data(), 6, all, c));
    ++count[xa.back()];
  }
  EXPECT_EQ(xa, xb);
  EXPECT_NE(xa, xc);
  double z = 0;
  for (float l : logits) z += std::exp(l);
  for (int v = 0; v < 6; ++v) EXPECT_NEAR(count[v] / 4000.0, std::exp(logits[v]) / z, 0.03) << v;
}

namespace {
ModelConfig with_vocab(std::int64_t V) {
  auto c = small(hermes::model::Ffn::swiglu, false, 2);
  c.vocab_size = V;
  c.context_length = 48;
  return c;
}
}  // namespace

TEST(GenerateGenerator, BatchedPromptsOfDifferentLengthsMatchOneAtATime) {
  const auto tok = hermes::tokenizer::Tokenizer::load(std::string(HERMES_SOURCE_DIR) +
                                                      "/tests/fixtures/tokenizer/hermes-trained/tokenizer.json");
  const auto c = with_vocab(static_cast<std::int64_t>(tok.vocab_size()));
  hermes::model::Transformer<float> init(c, 1, 8);
  init.init(3);
  hermes::generate::Generator batched(c, tok, 4), single(c, tok, 1);
  std::copy(init.params(), init.params() + init.num_params(), batched.decoder().params());
  std::copy(init.params(), init.params() + init.num_params(), single.decoder().params());
  std::vector<hermes::generate::Request> reqs;
  for (std::size_t n : {3u, 11u, 7u, 20u, 5u}) {
    hermes::generate::Request r;
    for (std::size_t i = 0; i < n; ++i) r.prompt.push_back(static_cast<std::int32_t>(20 + (i * 37 + n) % 900));
    r.max_tokens = 12;
    r.sampling = n % 2 ? hermes::generate::Sampling{0.0, 0, 1.0} : hermes::generate::Sampling{1.0, 20, 0.9};
    r.seed = n;
    reqs.push_back(r);
  }
  std::vector<std::string> streamed(reqs.size());
  const auto all = batched.run(reqs, [&](std::size_t i, const std::string& s) { streamed[i] += s; });
  ASSERT_EQ(all.size(), reqs.size());
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    const auto one = single.run({reqs[i]});
    EXPECT_EQ(all[i].tokens, one[0].tokens) << "request " << i;
    EXPECT_EQ(all[i].text, one[0].text);
    EXPECT_EQ(streamed[i], all[i].text);  // streaming delivers exactly the completion
    EXPECT_FALSE(all[i].finish_reason.empty());
  }
  // A stop string: the completion is cut before it and the reason says so.
  auto r = reqs[1];
  const auto free_run = single.run({r})[0];
  ASSERT_GE(free_run.text.size(), 3u);
  r.stop = {free_run.text.substr(1, 2)};
  const auto stopped = single.run({r})[0];
  EXPECT_EQ(stopped.finish_reason, "stop");
  EXPECT_EQ(stopped.text, free_run.text.substr(0, free_run.text.find(r.stop[0])));
}
