// One corpus record in each reader: plain text, JSONL with a text field, ShareGPT (strict and
// skipping bad records), and the prompts-file line reader of generate.
#include "harness.hpp"
#include "hermes/data/corpus.hpp"
#include "hermes/generate/prompts.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = hermes::fuzz::as_text(data, size);
  for (const char* format : {"text", "jsonl", "sharegpt"}) {
    for (const bool skip : {false, true}) {
      hermes::data::CorpusOptions options;
      options.format = format;
      options.skip_bad_records = skip;
      hermes::fuzz::expect_clean([&] { hermes::data::parse_document(bytes, "fuzz.jsonl", 1, options); });
    }
  }
  hermes::fuzz::expect_clean([&] { hermes::generate::parse_prompt_line(bytes, "prompts.jsonl:1"); });
  return 0;
}
