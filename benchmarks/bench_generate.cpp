// Generation speed on the host backend: `bench_generate [--preset tiny|agentic-50m] [--batch B] [--context L]`.
// Prints JSON lines: prefill tokens/s (one prompt in one pass), decode tokens/s (batch 1 and
// batch B, one token per sequence per step), and the cost of one decode step as the context
// grows (ms/token at each position, with a least-squares line through them: linear in context,
// the KV cache's promise). Random weights: speed does not depend on what the model learned.
#include <Kokkos_Core.hpp>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "hermes/backend/host/common.hpp"
#include "hermes/backend/host/runtime.hpp"
#include "hermes/dist/communicator.hpp"
#include "hermes/model/decoder.hpp"

using namespace hermes;
using clock_type = std::chrono::steady_clock;

namespace {
double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }
}  // namespace

int main(int argc, char** argv) {
  backend::host::Runtime::restart_for_this_machine(argv);  // OpenBLAS's kernels for this CPU
  dist::MpiSession mpi(&argc, &argv);
  Kokkos::ScopeGuard kokkos(argc, argv);
  std::string preset = "tiny";
  long batch = 8, reps = 3, context = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--preset")
      preset = v;
    else if (k == "--batch")
      batch = std::stol(v);
    else if (k == "--reps")
      reps = std::stol(v);
    else if (k == "--context")
      context = std::stol(v);  // longer than the preset's: RoPE has no table limit
    else {
      std::fprintf(stderr, "usage: bench_generate [--preset P] [--batch B] [--reps R] [--context L]\n");
      return 2;
    }
  }
  backend::host::set_blas_threads(1);
  auto cfg = model::preset(preset);
  if (context > 0) cfg.context_length = context;
  const long L = cfg.context_length, V = cfg.vocab_size;
  model::Decoder<float> dec(cfg, batch, L);
  std::mt19937_64 rng(1);
  std::normal_distribution<float> nd(0.f, 0.02f);
  for (long i = 0; i < dec.num_params(); ++i) dec.params()[i] = nd(rng);
  std::uniform_int_distribution<int> tokd(0, static_cast<int>(V) - 1);
  auto tokens = [&](long n) {
    std::vector<std::int32_t> t(n);
    for (auto& x : t) x = tokd(rng);
    return t;
  };
  // Prefill: a prompt of half the context, in one pass.
  const long P = L / 2;
  double best = 1e30;
  for (long r = 0; r < reps; ++r) {
    dec.reset(0);
    const auto t = tokens(P);
    const auto t0 = clock_type::now();
    dec.prefill(0, t);
    best = std::min(best, seconds_since(t0));
  }
  std::printf("{\"bench\":\"prefill\",\"preset\":\"%s\",\"prompt_tokens\":%ld,\"tokens_per_s\":%.1f}\n", preset.c_str(),
              P, P / best);
  // Decode, batch 1 and batch B: prompts of 16 tokens, then steps up to half the context.
  for (long B : {1L, batch}) {
    for (long s = 0; s < B; ++s) {
      dec.reset(s);
      dec.prefill(s, tokens(16));
    }
    const long steps = P - 16;
    std::vector<std::int32_t> slots(B), next(B);
    for (long s = 0; s < B; ++s) slots[s] = static_cast<std::int32_t>(s);
    const auto t0 = clock_type::now();
    for (long i = 0; i < steps; ++i) {
      for (auto& x : next) x = tokd(rng);
      dec.forward(slots, next);
    }
    const double sec = seconds_since(t0);
    std::printf(
        "{\"bench\":\"decode\",\"preset\":\"%s\",\"batch\":%ld,\"context_from\":16,\"context_to\":%ld,"
        "\"tokens_per_s\":%.1f}\n",
        preset.c_str(), B, P, B * steps / sec);
  }
  // Cost per token against context: time 8 single-sequence steps starting at each position.
  std::vector<double> xs, ys;
  for (long at = 16; at + 8 <= L; at *= 2) {
    double b = 1e30;
    for (long r = 0; r < reps; ++r) {
      dec.reset(0);
      dec.prefill(0, tokens(at));
      const auto t0 = clock_type::now();
      for (int i = 0; i < 8; ++i) dec.forward({0}, {tokd(rng)});
      b = std::min(b, seconds_since(t0) / 8);
      dec.reset(0);
    }
    xs.push_back(static_cast<double>(at));
    ys.push_back(b * 1e3);
    std::printf("{\"bench\":\"decode_step\",\"preset\":\"%s\",\"context\":%ld,\"ms_per_token\":%.4f}\n", preset.c_str(),
                at, b * 1e3);
  }
  // Least squares ms = a + b * context, and the worst relative deviation from that line.
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) mx += xs[i] / xs.size(), my += ys[i] / ys.size();
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) sxy += (xs[i] - mx) * (ys[i] - my), sxx += (xs[i] - mx) * (xs[i] - mx);
  const double slope = sxy / sxx, icpt = my - slope * mx;
  double worst = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) worst = std::max(worst, std::abs(ys[i] - (icpt + slope * xs[i])) / ys[i]);
  std::printf(
      "{\"bench\":\"decode_step_fit\",\"preset\":\"%s\",\"ms_at_0\":%.4f,\"ms_per_1k_context\":%.4f,"
      "\"worst_relative_deviation\":%.3f}\n",
      preset.c_str(), icpt, slope * 1e3, worst);
  return 0;
}
