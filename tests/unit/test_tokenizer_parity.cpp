// Encoding parity with HuggingFace tokenizers: expected ids in tests/fixtures/tokenizer/*/
// expected.json were produced by HF itself (make_fixtures.js), never by hermes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "hermes/tokenizer/pretokenizer.hpp"
#include "hermes/tokenizer/tokenizer.hpp"

namespace fs = std::filesystem;
using hermes::tokenizer::TokenId;
using hermes::tokenizer::Tokenizer;

namespace {

const fs::path kDir = fs::path(HERMES_SOURCE_DIR) / "tests/fixtures/tokenizer";

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

// Returns the number of cases compared.
std::size_t check_parity(const fs::path& tokenizer_file, const fs::path& expected_file) {
  const Tokenizer tok = Tokenizer::load(tokenizer_file);
  const auto expected = read_json(expected_file);
  std::size_t n = 0;
  std::vector<std::string> texts;
  for (const auto& c : expected["cases"]) {
    const std::string text = c["text"];
    const auto ids = c["ids"].get<std::vector<TokenId>>();
    EXPECT_EQ(tok.encode(text), ids) << tokenizer_file << " text: " << nlohmann::json(text).dump();
    texts.push_back(text);
    ++n;
  }
  // The batch path must agree with the single path.
  const auto batch = tok.encode_batch(texts);
  for (std::size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(batch[i], tok.encode(texts[i]));
  return n;
}

class Parity : public ::testing::TestWithParam<std::string> {};

TEST_P(Parity, MatchesHuggingFace) {
  const fs::path dir = kDir / GetParam();
  if (!fs::exists(dir / "tokenizer.json")) GTEST_SKIP() << dir << " not generated";
  if (GetParam() == "qwen25-trim" && !hermes::tokenizer::nfc_available()) GTEST_SKIP() << "built without ICU (NFC)";
  EXPECT_GT(check_parity(dir / "tokenizer.json", dir / "expected.json"), 40u);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Parity,
                         ::testing::Values("gpt2", "qwen25-trim", "hf-llama3", "hf-gpt2-prefix", "hf-smollm-style",
                                           "hermes-trained", "hermes-trained-llama3"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

// The full Llama-3 and Qwen2.5 files are too big to commit; make_fixtures.js leaves them in
// external/ and these run wherever they exist.
class ExternalParity : public ::testing::TestWithParam<std::string> {};

TEST_P(ExternalParity, MatchesHuggingFace) {
  const fs::path file = kDir / "external" / (GetParam() + ".tokenizer.json");
  if (!fs::exists(file)) GTEST_SKIP() << file << " absent (run make_fixtures.js to fetch it)";
  if (GetParam() == "qwen2_5" && !hermes::tokenizer::nfc_available()) GTEST_SKIP() << "built without ICU (NFC)";
  EXPECT_GT(check_parity(file, kDir / "external" / (GetParam() + ".expected.json")), 40u);
}

// Many texts and bytes: encode_batch runs threads, each with its own piece cache.
TEST(Batch, ThreadedBatchEqualsSequential) {
  const Tokenizer tok = Tokenizer::load(kDir / "gpt2/tokenizer.json");
  const auto expected = read_json(kDir / "gpt2/expected.json");
  std::vector<std::string> texts;
  std::vector<std::vector<TokenId>> ids;
  for (int copy = 0; copy < 40; ++copy)
    for (const auto& c : expected["cases"]) {
      texts.push_back(c["text"].get<std::string>() + std::string(copy * 100, 'x'));
      ids.push_back(tok.encode(texts.back()));
    }
  EXPECT_EQ(tok.encode_batch(texts), ids);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ExternalParity, ::testing::Values("llama3", "qwen2_5"));

}  // namespace
