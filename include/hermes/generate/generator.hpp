#pragma once
// Text generation over a DecodeModel (model::Decoder on the host, backend::cuda::Decoder on a
// GPU; decode_model.hpp): sampling (greedy, temperature, top-k, top-p with a seeded
// generator), stopping (end token, stop strings, max tokens, context full) and batches of prompts
// of different lengths (each prompt prefilled alone, then one decode row per live sequence).
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "hermes/generate/decode_model.hpp"
#include "hermes/tokenizer/tokenizer.hpp"

namespace hermes {
class Progress;
}

namespace hermes::generate {

struct Sampling {
  double temperature = 0.8;  // 0: greedy (argmax, lowest id on ties)
  std::int64_t top_k = 50;   // 0: all tokens
  double top_p = 1.0;        // keep the smallest set of most likely tokens with mass >= top_p
};

// Picks the next token from logits (V). Greedy ignores rng. Sampling works in double: softmax of
// logits / temperature over the kept tokens, one uniform draw from rng's next 53 bits.
std::int32_t sample_token(const float* logits, std::int64_t V, const Sampling& s, std::mt19937_64& rng);
std::int32_t sample_token(const double* logits, std::int64_t V, const Sampling& s, std::mt19937_64& rng);

struct Request {
  std::vector<std::int32_t> prompt;  // token ids (fits the context; see fit_prompt)
  std::int64_t max_tokens = 128;
  Sampling sampling;
  std::uint64_t seed = 0;
  std::vector<std::string> stop;  // stop strings: the completion is cut before the first one
};

struct Result {
  std::vector<std::int32_t> tokens;  // generated ids (up to and excluding a stop; no end token)
  std::string text;
  std::string finish_reason;  // "end_token", "stop", "max_tokens" or "context"
};

// Called with (request index, new text) while generating, for streaming.
using OnText = std::function<void(std::size_t, const std::string&)>;

class Generator {
 public:
  // max_batch: sequences decoded together; kind: the backend that decodes (device: its GPU).
  Generator(const model::ModelConfig& config, const tokenizer::Tokenizer& tok, std::int64_t max_batch,
            backend::Kind kind = backend::Kind::host, int device = 0);
  DecodeModel& decoder() { return *decoder_; }
  const tokenizer::Tokenizer& tokenizer() const { return tok_; }
  std::int32_t end_id() const { return end_id_; }

  // Generates every request (in groups of max_batch). Output does not depend on how requests
  // are grouped beyond the group itself: each request has its own generator seeded by its seed.
  // `progress` (optional) advances by each group's requests.
  std::vector<Result> run(const std::vector<Request>& requests, const OnText& on_text = {},
                          Progress* progress = nullptr);

  // Trims a prompt to the context, leaving room for max_tokens (at least half the context is kept
  // for the prompt). Returns how many tokens were dropped from the left.
  std::int64_t fit_prompt(std::vector<std::int32_t>& prompt, std::int64_t max_tokens) const;

 private:
  std::vector<Result> run_group(const Request* requests, std::size_t n, std::size_t first, const OnText& on_text);
  std::unique_ptr<DecodeModel> decoder_;
  const tokenizer::Tokenizer& tok_;
  std::int32_t end_id_;
};

}  // namespace hermes::generate
