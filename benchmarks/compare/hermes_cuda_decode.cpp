// Generation speed on the GPU (backend::cuda::Decoder), the same measurements as the host's
// benchmarks/bench_generate.cpp so the two tables line up: prefill tokens/s (one prompt of half
// the context in one pass, last row's logits only), decode tokens/s at batch 1 and batch B
// (prompts of 16 tokens, then one token per sequence per step up to half the context, fp32 logits
// copied back to the host every step as the Generator needs them), and the cost of one batch-1
// decode step as the context grows. Random weights: speed does not depend on what was learned.
// Prints one JSON line per measurement.
//   hermes_cuda_decode --model gpt2-small --batch 8 [--context 2048] [--reps 3] [--eager]
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>

#include "hermes/backend/cuda/common.cuh"
#include "hermes/backend/cuda/decoder.hpp"
#include "hermes/backend/cuda/kv_cache.cuh"
#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"
#include "hermes/model/config.hpp"

namespace cu = hermes::backend::cuda;
namespace m = hermes::model;
using clock_type = std::chrono::steady_clock;

namespace {
double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hermes CUDA generation benchmark"};
  std::string preset = "gpt2-small";
  std::int64_t batch = 8, reps = 3, context = 0, vocab = 0;
  bool eager = false;
  app.add_option("--model", preset, "model preset");
  app.add_option("--batch", batch, "sequences decoded together (also batch 1 is measured)");
  app.add_option("--reps", reps, "repetitions of prefill and of each decode-step point (best kept)");
  app.add_option("--context", context, "context length (0: the preset's)");
  app.add_option("--vocab", vocab, "vocabulary (0: the preset's usual one)");
  app.add_flag("--eager", eager, "decode steps launched kernel by kernel, not replayed as CUDA graphs");
  CLI11_PARSE(app, argc, argv);
  try {
    hermes::log::init(0, 1);
    m::ModelConfig cfg = m::preset(preset);
    cfg.vocab_size = vocab > 0 ? vocab : m::preset_reference_vocab(preset);
    if (context > 0) cfg.context_length = context;
    if (cu::device_count() == 0) hermes::fail("no CUDA GPU visible: this benchmark needs one");
    cudaDeviceProp prop{};
    HERMES_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
    const std::int64_t L = cfg.context_length, V = cfg.vocab_size, P = L / 2;
    cu::Decoder dec(cfg, batch, L, 0, !eager);
    std::mt19937_64 rng(1);
    {
      std::normal_distribution<float> nd(0.f, 0.02f);
      float* p = dec.params();
      for (std::int64_t i = 0; i < dec.num_params(); ++i) p[i] = nd(rng);
    }
    std::uniform_int_distribution<int> tokd(0, static_cast<int>(V) - 1);
    auto tokens = [&](std::int64_t n) {
      std::vector<std::int32_t> t(static_cast<std::size_t>(n));
      for (auto& x : t) x = tokd(rng);
      return t;
    };
    auto line = [&](nlohmann::json j) {
      j["impl"] = "hermes-cuda";
      j["device"] = prop.name;
      j["model"] = preset;
      j["graphs"] = dec.graphs();
      std::cout << j.dump() << std::endl;
    };
    // Warm-up: weight upload, cuBLASLt plans for the shapes timed below.
    dec.prefill(0, tokens(P));
    dec.reset(0);
    double best = 1e30;
    for (std::int64_t r = 0; r < reps; ++r) {
      dec.reset(0);
      const auto t = tokens(P);
      const auto t0 = clock_type::now();
      dec.prefill(0, t);
      best = std::min(best, seconds_since(t0));
    }
    line({{"bench", "prefill"}, {"prompt_tokens", P}, {"tokens_per_s", P / best}});
    for (std::int64_t B : {std::int64_t{1}, batch}) {
      for (std::int64_t s = 0; s < B; ++s) {
        dec.reset(s);
        dec.prefill(s, tokens(16));
      }
      const std::int64_t steps = P - 16;
      std::vector<std::int32_t> slots(B), next(B);
      for (std::int64_t s = 0; s < B; ++s) slots[s] = static_cast<std::int32_t>(s);
      const auto t0 = clock_type::now();
      for (std::int64_t i = 0; i < steps; ++i) {
        for (auto& x : next) x = tokd(rng);
        dec.forward(slots, next);
      }
      const double sec = seconds_since(t0);
      line({{"bench", "decode"},
            {"batch", B},
            {"context_from", 16},
            {"context_to", P},
            {"attention_splits", cu::cached_attention_splits(B, L, cfg.n_kv_head)},
            {"tokens_per_s", static_cast<double>(B * steps) / sec}});
    }
    for (std::int64_t at = 16; at + 8 <= L; at *= 2) {
      double b = 1e30;
      for (std::int64_t r = 0; r < reps; ++r) {
        dec.reset(0);
        dec.prefill(0, tokens(at));
        const auto t0 = clock_type::now();
        for (int i = 0; i < 8; ++i) dec.forward({0}, {tokd(rng)});
        b = std::min(b, seconds_since(t0) / 8);
      }
      line({{"bench", "decode_step"}, {"context", at}, {"ms_per_token", b * 1e3}});
    }
    line({{"bench", "memory"}, {"decoder_device_gib", static_cast<double>(dec.device_bytes()) / (1 << 30)}});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hermes_cuda_decode: %s\n", e.what());
    return 1;
  }
  return 0;
}
