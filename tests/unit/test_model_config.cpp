// Parameter counts, FLOPs and memory against independent hand derivations.
#include <gtest/gtest.h>

#include "hermes/core/error.hpp"
#include "hermes/model/config.hpp"

using namespace hermes::model;

TEST(ModelConfig, Gpt2SmallCountMatchesGpt2MinusLearnedPositionsAndLayerNormBiases) {
  // GPT-2 124M has 124,439,808 parameters: it adds learned positions (1024 x 768) and LayerNorm
  // biases (2 per block + final, 768 each) that RoPE + RMSNorm do without.
  const ModelConfig c = preset("gpt2-small");
  const std::int64_t gpt2 = 124439808;
  const std::int64_t positions = 1024 * 768;
  const std::int64_t layernorm_biases = (12 * 2 + 1) * 768;
  EXPECT_EQ(parameter_count(c), gpt2 - positions - layernorm_biases);
}

TEST(ModelConfig, SwigluGqaCountByHand) {
  ModelConfig c = preset("llama-small");  // 12 x 768, 12 heads, 4 KV heads, FFN 2048, no bias
  const std::int64_t C = 768, F = 2048, kv = 4 * 64, V = 32000;
  const std::int64_t per_block = C + (C + 2 * kv) * C + C * C + C + 3 * F * C;
  EXPECT_EQ(parameter_count(c), V * C + 12 * per_block + C);
  EXPECT_EQ(c.qkv_dim(), C + 2 * kv);
}

TEST(ModelConfig, Agentic50mShape) {
  const ModelConfig c = preset("agentic-50m");
  EXPECT_EQ(c.n_embd, 384);
  EXPECT_EQ(c.n_layer, 6);
  EXPECT_EQ(c.n_head, 8);
  EXPECT_EQ(c.ffn_hidden, 1536);
  EXPECT_EQ(c.context_length, 512);
}

TEST(ModelConfig, LayoutFlagsMuonAndDecayShares) {
  const ModelConfig c = preset("tiny");
  std::int64_t hidden = 0, decays = 0;
  for (const auto& p : parameter_layout(c)) {
    if (p.is_hidden_matrix) {
      hidden += p.numel();
      EXPECT_EQ(p.shape.size(), 2u) << p.name;
    }
    if (p.decays) decays += p.numel();
    if (p.name.find("norm") != std::string::npos || p.name.find("tok_emb") != std::string::npos)
      EXPECT_FALSE(p.decays) << p.name;
  }
  EXPECT_EQ(hidden, 4 * (3 * 128 * 128 + 128 * 128 + 2 * 512 * 128));
  EXPECT_EQ(decays, hidden);
}

TEST(ModelConfig, PalmFlopsFormula) {
  const ModelConfig c = preset("gpt2-small");
  // By hand: N = 123,634,176 (GPT-2 small with tied embeddings, RMSNorm, no position table);
  // 6N = 741,805,056 and the attention term 12·L·H·Q·T = 12·12·12·64·1024 = 113,246,208.
  EXPECT_EQ(parameter_count(c), 123634176);
  EXPECT_DOUBLE_EQ(training_flops_per_token(c, 1024), 855051264.0);
}

TEST(ModelConfig, MemoryEstimateScalesAsExpected) {
  const ModelConfig c = preset("tiny");
  const auto a = training_memory(c, 4, 128, Precision::fp32);
  const auto b = training_memory(c, 8, 128, Precision::fp32);
  const double n = static_cast<double>(parameter_count(c));
  EXPECT_DOUBLE_EQ(a.weights, n * 4);
  EXPECT_DOUBLE_EQ(a.optimizer, n * 8);
  EXPECT_NEAR(b.activations / a.activations, 2.0, 1e-9);  // linear in batch
  const auto bf = training_memory(c, 4, 128, Precision::bf16);
  EXPECT_DOUBLE_EQ(bf.master_weights, n * 4);
  EXPECT_DOUBLE_EQ(bf.weights, n * 2);
}

TEST(ModelConfig, ValidationNamesTheProblem) {
  ModelConfig c = preset("tiny");
  c.n_head = 3;
  EXPECT_THROW(validate(c), hermes::Error);
  EXPECT_THROW(preset("gpt3"), hermes::Error);
  try {
    preset("gpt2-smal");
  } catch (const hermes::Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'gpt2-small'"), std::string::npos);
  }
}
