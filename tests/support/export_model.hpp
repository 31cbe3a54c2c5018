#pragma once
// A SwiGLU checkpoint for export/import tests: random weights (matrices N(0, 0.15), norms near 1,
// so greedy choices are clear) with a committed hermes-trained tokenizer, written with
// io::save_checkpoint as pretrain would. Also: logits of a token sequence on the host decoder.
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "hermes/io/checkpoint.hpp"
#include "hermes/model/decoder.hpp"
#include "hermes/tokenizer/tokenizer.hpp"

namespace hermes::testing {

inline std::string fixture_tokenizer_path(const std::string& name = "hermes-trained") {
  return std::string(HERMES_SOURCE_DIR) + "/tests/fixtures/tokenizer/" + name + "/tokenizer.json";
}

struct ExportModel {
  model::ModelConfig config;
  std::map<std::string, std::vector<float>> weights;
};

// vocab_extra: rows past the tokenizer's vocabulary (a padded embedding).
inline ExportModel write_export_checkpoint(const std::filesystem::path& path, bool bias, std::int64_t kv_heads,
                                           std::uint64_t seed = 7, std::int64_t vocab_extra = 4,
                                           const std::string& tokenizer = "hermes-trained") {
  const auto tok_path = fixture_tokenizer_path(tokenizer);
  const auto tok = tokenizer::Tokenizer::load(tok_path);
  std::ifstream in(tok_path);
  std::stringstream text;
  text << in.rdbuf();
  ExportModel m;
  auto& c = m.config;
  c.preset = "llama-small";
  c.vocab_size = static_cast<std::int64_t>(tok.vocab_size()) + vocab_extra;
  c.n_layer = 2;
  c.n_embd = 64;
  c.n_head = 4;
  c.n_kv_head = kv_heads;
  c.ffn_hidden = 96;
  c.context_length = 64;
  c.ffn = model::Ffn::swiglu;
  c.bias = bias;
  c.norm_eps = 1e-5;
  c.rope_theta = 10000.0;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> n(0.0f, 0.15f);
  io::CheckpointData d;
  d.model = c;
  d.optimizer = "adamw";
  d.deck_toml = "[run]\nname = \"exported\"\nstages = [\"pretrain\"]\n";
  d.tokenizer_json = text.str();
  d.tokenizer_fingerprint = tok.fingerprint();
  std::ostringstream rng_state;  // a generator state, as training writes it
  rng_state << std::mt19937_64(seed);
  d.state.rng = rng_state.str();
  for (const auto& spec : model::parameter_layout(c)) {
    auto& w = m.weights[spec.name];
    w.resize(static_cast<std::size_t>(spec.numel()));
    const bool norm = spec.name.find("norm") != std::string::npos;
    for (auto& x : w) x = norm ? 1.0f + 0.2f * n(rng) : n(rng);
    d.weights.push_back({spec.name, spec.shape, w.data()});
  }
  io::save_checkpoint(path, d);
  return m;
}

// Logits of every position of `tokens` (one sequence from position 0), row-major (T, vocab).
inline std::vector<float> host_logits(const model::ModelConfig& c, const std::map<std::string, std::vector<float>>& w,
                                      const std::vector<std::int32_t>& tokens) {
  // All-logits calls are bounded by the slot count, so size the slots to the sequence (only slot 0 is used).
  const auto T = static_cast<std::int64_t>(tokens.size());
  model::Decoder<float> dec(c, T, T);
  for (const auto& spec : model::parameter_layout(c)) {
    const auto& src = w.at(spec.name);
    std::copy(src.begin(), src.end(), dec.params() + dec.param_offset(spec.name));
  }
  const std::vector<std::int32_t> slots(tokens.size(), 0);
  const float* l = dec.forward(slots, tokens, false);
  return std::vector<float>(l, l + tokens.size() * c.vocab_size);
}

}  // namespace hermes::testing
