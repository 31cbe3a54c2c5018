#pragma once
// A two-layer, four-head model for tests that build one by hand: the FFN kind, biases and KV
// heads vary per case (GPT-2-style and LLaMA-style), the sizes per test file.
#include <cstdint>

#include "hermes/model/config.hpp"

namespace hermes::testing {

struct SmallSizes {
  std::int64_t width = 32, ffn_hidden = 48, context = 40, vocab = 256;
  double init_std = 0.3;  // peaked distributions: greedy choices are clear
};

inline model::ModelConfig small_model(model::Ffn ffn, bool bias, std::int64_t kv_heads, const SmallSizes& z = {}) {
  model::ModelConfig c;
  c.vocab_size = z.vocab;
  c.n_layer = 2;
  c.n_embd = z.width;
  c.n_head = 4;
  c.n_kv_head = kv_heads;
  c.ffn_hidden = z.ffn_hidden;
  c.context_length = z.context;
  c.ffn = ffn;
  c.bias = bias;
  c.init_std = z.init_std;
  return c;
}

}  // namespace hermes::testing
