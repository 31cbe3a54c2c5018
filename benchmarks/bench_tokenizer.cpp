// Tokenizer encode throughput, single thread, one pass over a text with a freshly loaded
// tokenizer (its piece cache starts empty, as HuggingFace's does in compare/hf_tokenizer_bench.js).
//   HERMES_BENCH_TOKENIZER  tokenizer.json (default: the GPT-2 fixture)
//   HERMES_BENCH_PROSE / HERMES_BENCH_CODE  text files (default: small built-in texts)
// The text is encoded in chunks of about 64 KiB cut after a newline, the same chunks the HF
// script uses. benchmarks/tokenizer_compare.sh runs both and prints the ratio.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "hermes/tokenizer/tokenizer.hpp"

namespace {

using hermes::tokenizer::Tokenizer;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> chunks(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = std::min(text.size(), pos + 65536);
    if (end < text.size()) {
      const auto nl = text.find('\n', end);
      end = nl == std::string::npos ? text.size() : nl + 1;
    }
    out.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

std::string builtin(bool code) {
  std::string s;
  for (int i = 0; i < 20000; ++i)
    s += code ? "def f_" + std::to_string(i) + "(x):\n    return {\"value\": x * " + std::to_string(i % 97) +
                    ", \"ok\": True}\n"
              : "The quick brown fox number " + std::to_string(i) + " jumps over the lazy dog, doesn't it? ";
  return s;
}

void encode_pass(benchmark::State& state, const std::string& env_text, bool code) {
  const std::string tokenizer = env_or(
      "HERMES_BENCH_TOKENIZER", std::string(HERMES_SOURCE_DIR_BENCH) + "/tests/fixtures/tokenizer/gpt2/tokenizer.json");
  const std::string path = env_or(env_text.c_str(), "");
  const std::string text = path.empty() ? builtin(code) : read_file(path);
  const auto parts = chunks(text);
  std::size_t tokens = 0;
  std::uint32_t checksum = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const Tokenizer tok = Tokenizer::load(tokenizer);  // fresh cache every pass
    state.ResumeTiming();
    tokens = 0;
    checksum = 0;
    for (const auto& p : parts) {
      const auto ids = tok.encode(p);
      for (auto id : ids) checksum = checksum * 31u + id;  // same ids as HF <=> same checksum
      tokens += ids.size();
    }
    benchmark::DoNotOptimize(tokens);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(tokens);
  state.counters["bytes"] = static_cast<double>(text.size());
  state.counters["checksum"] = static_cast<double>(checksum);
}

void BM_encode_prose(benchmark::State& s) { encode_pass(s, "HERMES_BENCH_PROSE", false); }
void BM_encode_code(benchmark::State& s) { encode_pass(s, "HERMES_BENCH_CODE", true); }
BENCHMARK(BM_encode_prose)->Iterations(1)->Repetitions(3)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_encode_code)->Iterations(1)->Repetitions(3)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
