#include "hermes/generate/generator.hpp"

#include "hermes/core/progress.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "hermes/core/error.hpp"

namespace hermes::generate {

namespace {

template <class T>
std::int32_t sample_impl(const T* logits, std::int64_t V, const Sampling& s, std::mt19937_64& rng) {
  if (s.temperature <= 0) {
    std::int64_t best = 0;
    for (std::int64_t i = 1; i < V; ++i)
      if (logits[i] > logits[best]) best = i;
    return static_cast<std::int32_t>(best);
  }
  std::vector<std::int32_t> ids(static_cast<std::size_t>(V));
  std::iota(ids.begin(), ids.end(), 0);
  // Most likely first; ties broken by id so the order is total and reproducible.
  auto more_likely = [&](std::int32_t a, std::int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  std::int64_t keep = s.top_k > 0 ? std::min<std::int64_t>(s.top_k, V) : V;
  std::partial_sort(ids.begin(), ids.begin() + keep, ids.end(), more_likely);
  std::vector<double> prob(static_cast<std::size_t>(keep));
  const double mx = static_cast<double>(logits[ids[0]]);
  double sum = 0;
  for (std::int64_t i = 0; i < keep; ++i)
    sum += prob[i] = std::exp((static_cast<double>(logits[ids[i]]) - mx) / s.temperature);
  if (s.top_p < 1.0) {
    double mass = 0;
    std::int64_t n = 0;
    while (n < keep && mass < s.top_p * sum) mass += prob[n++];
    keep = std::max<std::int64_t>(n, 1);
    sum = 0;
    for (std::int64_t i = 0; i < keep; ++i) sum += prob[i];
  }
  const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53 * sum;
  double acc = 0;
  for (std::int64_t i = 0; i < keep; ++i) {
    acc += prob[i];
    if (u < acc) return ids[i];
  }
  return ids[keep - 1];
}

// Length of the longest prefix of `text` that ends on a UTF-8 character boundary.
std::size_t complete_utf8(const std::string& text) {
  std::size_t n = text.size(), i = n;
  while (i > 0 && i + 4 > n && (static_cast<unsigned char>(text[i - 1]) & 0xC0) == 0x80) --i;
  if (i == 0) return n;
  const auto lead = static_cast<unsigned char>(text[i - 1]);
  const std::size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  return n - (i - 1) >= need ? n : i - 1;
}

}  // namespace

std::int32_t sample_token(const float* logits, std::int64_t V, const Sampling& s, std::mt19937_64& rng) {
  return sample_impl(logits, V, s, rng);
}
std::int32_t sample_token(const double* logits, std::int64_t V, const Sampling& s, std::mt19937_64& rng) {
  return sample_impl(logits, V, s, rng);
}

Generator::Generator(const model::ModelConfig& config, const tokenizer::Tokenizer& tok, std::int64_t max_batch,
                     backend::Kind kind, int device)
    : decoder_(
          make_decode_model(kind, config, max_batch, std::max<std::int64_t>(config.context_length, max_batch), device)),
      tok_(tok),
      end_id_(static_cast<std::int32_t>(tok.special_id("<|endoftext|>"))) {}

std::int64_t Generator::fit_prompt(std::vector<std::int32_t>& prompt, std::int64_t max_tokens) const {
  const std::int64_t L = decoder_->context();
  const std::int64_t room = std::max(L / 2, L - max_tokens);
  const std::int64_t n = static_cast<std::int64_t>(prompt.size());
  if (n <= room) return 0;
  prompt.erase(prompt.begin(), prompt.begin() + (n - room));
  return n - room;
}

std::vector<Result> Generator::run(const std::vector<Request>& requests, const OnText& on_text, Progress* progress) {
  std::vector<Result> out;
  out.reserve(requests.size());
  const auto B = static_cast<std::size_t>(decoder_->max_slots());
  for (std::size_t g = 0; g < requests.size(); g += B) {
    auto part = run_group(requests.data() + g, std::min(B, requests.size() - g), g, on_text);
    for (auto& r : part) out.push_back(std::move(r));
    if (progress) progress->advance(static_cast<std::int64_t>(part.size()));
  }
  return out;
}

std::vector<Result> Generator::run_group(const Request* req, std::size_t n, std::size_t first, const OnText& on_text) {
  const std::int64_t V = decoder_->config().vocab_size, L = decoder_->context();
  std::vector<Result> res(n);
  std::vector<std::mt19937_64> rng;
  std::vector<std::size_t> emitted(n, 0);
  std::vector<std::int32_t> next(n, -1);
  std::vector<bool> live(n, false);
  auto accept = [&](std::size_t i, std::int32_t token) {
    // Decides whether token `token` continues sequence i; false when the sequence ended.
    auto& r = res[i];
    if (token == end_id_) {
      r.finish_reason = "end_token";
      return false;
    }
    r.tokens.push_back(token);
    std::vector<tokenizer::TokenId> ids(r.tokens.begin(), r.tokens.end());
    r.text = tok_.decode(ids);
    for (const auto& s : req[i].stop) {
      if (s.empty()) continue;
      const auto at = r.text.find(s);
      if (at != std::string::npos) {
        r.text.resize(at);
        r.finish_reason = "stop";
      }
    }
    if (on_text) {
      const std::size_t upto = r.finish_reason == "stop" ? r.text.size() : complete_utf8(r.text);
      if (upto > emitted[i]) on_text(first + i, r.text.substr(emitted[i], upto - emitted[i]));
      emitted[i] = std::max(emitted[i], upto);
    }
    if (r.finish_reason == "stop") return false;
    if (static_cast<std::int64_t>(r.tokens.size()) >= req[i].max_tokens) {
      r.finish_reason = "max_tokens";
      return false;
    }
    if (decoder_->length(static_cast<std::int64_t>(i)) >= L) {
      r.finish_reason = "context";
      return false;
    }
    return true;
  };
  for (std::size_t i = 0; i < n; ++i) {
    rng.emplace_back(req[i].seed);
    decoder_->reset(static_cast<std::int64_t>(i));
    if (req[i].prompt.empty()) fail("internal: empty prompt in generation request {}", first + i);
    if (static_cast<std::int64_t>(req[i].prompt.size()) >= L)
      fail("prompt of {} tokens does not fit the context of {}", req[i].prompt.size(), L);
    const float* logits = decoder_->prefill(static_cast<std::int64_t>(i), req[i].prompt);
    const std::int32_t t = sample_token(logits, V, req[i].sampling, rng[i]);
    if (req[i].max_tokens <= 0) {
      res[i].finish_reason = "max_tokens";
      continue;
    }
    live[i] = accept(i, t);
    next[i] = t;
  }
  std::vector<std::int32_t> slots, tokens;
  for (;;) {
    slots.clear();
    tokens.clear();
    for (std::size_t i = 0; i < n; ++i)
      if (live[i]) {
        slots.push_back(static_cast<std::int32_t>(i));
        tokens.push_back(next[i]);
      }
    if (slots.empty()) break;
    const float* logits = decoder_->forward(slots, tokens);
    for (std::size_t r = 0; r < slots.size(); ++r) {
      const auto i = static_cast<std::size_t>(slots[r]);
      const std::int32_t t = sample_token(logits + static_cast<std::int64_t>(r) * V, V, req[i].sampling, rng[i]);
      next[i] = t;
      live[i] = accept(i, t);
    }
  }
  return res;
}

}  // namespace hermes::generate
