// decode(encode(x)) == x, specials stay whole, save/load keeps behaviour.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "hermes/core/error.hpp"
#include "hermes/tokenizer/tokenizer.hpp"

namespace fs = std::filesystem;
using hermes::tokenizer::TokenId;
using hermes::tokenizer::Tokenizer;

namespace {

const fs::path kDir = fs::path(HERMES_SOURCE_DIR) / "tests/fixtures/tokenizer";

std::vector<std::string> fixture_texts() {
  std::ifstream in(kDir / "texts.json");
  return nlohmann::json::parse(in).get<std::vector<std::string>>();
}

class RoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(RoundTrip, FixtureTexts) {
  const Tokenizer tok = Tokenizer::load(kDir / GetParam() / "tokenizer.json");
  for (const auto& t : fixture_texts()) EXPECT_EQ(tok.decode(tok.encode(t)), t) << nlohmann::json(t).dump();
}

TEST_P(RoundTrip, RandomBytesIncludingInvalidUtf8) {
  const Tokenizer tok = Tokenizer::load(kDir / GetParam() / "tokenizer.json");
  std::mt19937 rng(7);
  for (int n = 0; n < 300; ++n) {
    std::string s(rng() % 64, '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 256);
    EXPECT_EQ(tok.decode(tok.encode(s)), s);
  }
  // Truncated, overlong and surrogate sequences next to text.
  for (std::string s :
       {std::string("abc\xC3"), std::string("\xE2\x82 euro"), std::string("\xC0\xAF slash"),
        std::string("\xED\xA0\x80 surrogate"), std::string("x\xF4\x90\x80\x80y"), std::string("\xFF\xFE\n\n")})
    EXPECT_EQ(tok.decode(tok.encode(s)), s);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, RoundTrip, ::testing::Values("gpt2", "hermes-trained", "hermes-trained-llama3"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(Specials, NeverSplit) {
  const Tokenizer tok = Tokenizer::load(kDir / "hermes-trained/tokenizer.json");
  for (const char* special : {"<|endoftext|>", "<|user|>", "<|assistant|>", "<think>", "</tool_call>"}) {
    const TokenId id = tok.special_id(special);
    for (const std::string ctx : {"", "x", " ", "\n", "word", "<", ">", "|"}) {
      const std::string text = ctx + special + ctx + special;
      const auto ids = tok.encode(text);
      EXPECT_EQ(std::count(ids.begin(), ids.end(), id), 2) << text;
      EXPECT_EQ(tok.decode(ids), text);
    }
  }
  // A near miss is plain text.
  const auto ids = tok.encode("<|endoftext|");
  EXPECT_EQ(std::count(ids.begin(), ids.end(), tok.special_id("<|endoftext|>")), 0);
  EXPECT_THROW(tok.special_id("<|nonexistent|>"), hermes::Error);
}

TEST(SaveLoad, SameBehaviourAndStableBytes) {
  const auto tmp = fs::temp_directory_path() / ("hermes_tok_" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  for (const char* name : {"gpt2", "qwen25-trim", "hf-llama3", "hf-gpt2-prefix"}) {
    const Tokenizer a = Tokenizer::load(kDir / name / "tokenizer.json");
    a.save(tmp / "a.json");
    const Tokenizer b = Tokenizer::load(tmp / "a.json");
    EXPECT_EQ(a.fingerprint(), b.fingerprint()) << name;
    EXPECT_EQ(a.vocab_size(), b.vocab_size());
    for (const auto& t : fixture_texts()) EXPECT_EQ(a.encode(t), b.encode(t)) << name << " " << t;
    b.save(tmp / "b.json");
    std::ifstream fa(tmp / "a.json"), fb(tmp / "b.json");
    const std::string sa((std::istreambuf_iterator<char>(fa)), {}), sb((std::istreambuf_iterator<char>(fb)), {});
    EXPECT_EQ(sa, sb) << name;
  }
  fs::remove_all(tmp);
}

TEST(Api, TokenLookupsAndDecodeErrors) {
  const Tokenizer tok = Tokenizer::load(kDir / "gpt2/tokenizer.json");
  EXPECT_EQ(tok.vocab_size(), 50257u);
  EXPECT_EQ(tok.token_to_id("Hello"), 15496u);  // GPT-2's well-known ids
  EXPECT_EQ(tok.id_to_token(15496), "Hello");
  EXPECT_EQ(tok.special_id("<|endoftext|>"), 50256u);
  EXPECT_FALSE(tok.token_to_id("definitely-not-a-token-xyz").has_value());
  EXPECT_THROW(tok.decode({60000}), hermes::Error);
  const Tokenizer copy = tok;
  EXPECT_EQ(copy.encode("copy works"), tok.encode("copy works"));
  EXPECT_NE(tok.fingerprint(), Tokenizer::load(kDir / "hermes-trained/tokenizer.json").fingerprint());
}

}  // namespace
