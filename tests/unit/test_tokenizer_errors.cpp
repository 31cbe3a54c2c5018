// Bad tokenizer.json files and bad trainer settings: one-line errors naming file and JSON path.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "hermes/core/error.hpp"
#include "hermes/tokenizer/tokenizer.hpp"
#include "hermes/tokenizer/trainer.hpp"

namespace fs = std::filesystem;
using hermes::tokenizer::Tokenizer;
using nlohmann::json;

namespace {

json tiny() {
  json vocab = json::object();
  int id = 0;
  for (const char* t : {"a", "b", "c", "ab", "abc"}) vocab[t] = id++;
  return json{{"version", "1.0"},
              {"added_tokens", json::array({{{"id", 5}, {"content", "<|endoftext|>"}, {"special", true}}})},
              {"normalizer", nullptr},
              {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
              {"decoder", {{"type", "ByteLevel"}}},
              {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", json::array({"a b", "ab c"})}}}};
}

std::string load_error(const json& j, const std::string& raw = "") {
  const auto path = fs::temp_directory_path() / ("hermes_bad_tokenizer_" + std::to_string(::getpid()) + ".json");
  {
    std::ofstream out(path);
    out << (raw.empty() ? j.dump() : raw);
  }
  std::string message;
  try {
    Tokenizer::load(path);
  } catch (const hermes::Error& e) {
    message = e.what();
  }
  fs::remove(path);
  EXPECT_NE(message.find("hermes_bad_tokenizer_"), std::string::npos) << "file not named: " << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
  return message;
}

TEST(TokenizerJson, TinyValidFileLoads) {
  const auto path = fs::temp_directory_path() / "hermes_tiny_tokenizer.json";
  std::ofstream(path) << tiny().dump();
  const Tokenizer t = Tokenizer::load(path);
  EXPECT_EQ(t.encode("abc"), std::vector<hermes::tokenizer::TokenId>{4});
  EXPECT_EQ(t.encode("cab<|endoftext|>"), (std::vector<hermes::tokenizer::TokenId>{2, 3, 5}));
  fs::remove(path);
}

TEST(TokenizerJson, ErrorsNameTheJsonPath) {
  auto j = tiny();
  j["model"]["merges"][1] = "ab zz";
  EXPECT_NE(load_error(j).find("model.merges[1]"), std::string::npos);
  j = tiny();
  j["model"]["merges"][0] = "abc";
  EXPECT_NE(load_error(j).find("model.merges[0]"), std::string::npos);
  j = tiny();
  j["normalizer"] = {{"type", "NFKC"}};
  EXPECT_NE(load_error(j).find("normalizer.type"), std::string::npos);
  j = tiny();
  j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", json::array({{{"type", "Whitespace"}}})}};
  EXPECT_NE(load_error(j).find("pre_tokenizer.pretokenizers[0].type"), std::string::npos);
  j = tiny();
  j["pre_tokenizer"] = {
      {"type", "Split"}, {"pattern", {{"Regex", "\\s+"}}}, {"behavior", "Sideways"}, {"invert", false}};
  EXPECT_NE(load_error(j).find("pre_tokenizer.behavior"), std::string::npos);
  EXPECT_NE(load_error(j).find("is not a Split behavior"), std::string::npos);
  j = tiny();
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  EXPECT_NE(load_error(j).find("pre_tokenizer.pattern"), std::string::npos);
  j = tiny();
  j["model"]["type"] = "WordPiece";
  EXPECT_NE(load_error(j).find("model.type"), std::string::npos);
  j = tiny();
  j["model"]["vocab"]["a"] = -3;
  EXPECT_NE(load_error(j).find("model.vocab[\"a\"]"), std::string::npos);
  j = tiny();
  j["decoder"] = {{"type", "WordPiece"}};
  EXPECT_NE(load_error(j).find("decoder.type"), std::string::npos);
  j = tiny();
  j["added_tokens"][0].erase("content");
  EXPECT_NE(load_error(j).find("added_tokens[0].content"), std::string::npos);
  j = tiny();
  j["pre_tokenizer"] = nullptr;
  EXPECT_NE(load_error(j).find("ByteLevel"), std::string::npos);
  j = tiny();
  j.erase("model");
  EXPECT_NE(load_error(j).find("model"), std::string::npos);
  EXPECT_NE(load_error(json(), "{\"model\": [1, 2").find("not valid JSON"), std::string::npos);
}

TEST(TokenizerJson, MissingFile) {
  try {
    Tokenizer::load("/nonexistent/dir/tokenizer.json");
    FAIL();
  } catch (const hermes::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/tokenizer.json"), std::string::npos);
  }
}

TEST(Trainer, VocabTooSmallFailsBeforeWork) {
  hermes::tokenizer::TrainerOptions o;
  o.special_tokens = {"<|endoftext|>", "<|pad|>"};
  o.vocab_size = 257;
  try {
    hermes::tokenizer::validate(o);
    FAIL();
  } catch (const hermes::Error& e) {
    EXPECT_NE(std::string(e.what()).find("258"), std::string::npos) << e.what();
  }
  o.vocab_size = 258;
  EXPECT_NO_THROW(hermes::tokenizer::validate(o));
  o.special_tokens.push_back("<|pad|>");
  EXPECT_THROW(hermes::tokenizer::validate(o), hermes::Error);
  o.special_tokens.pop_back();
  o.pattern = "([unclosed";
  EXPECT_THROW(hermes::tokenizer::validate(o), hermes::Error);
}

}  // namespace
