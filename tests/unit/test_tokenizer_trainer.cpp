// The BPE trainer: determinism, agreement with HuggingFace's trainer, corpus formats.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "hermes/core/error.hpp"
#include "hermes/dist/communicator.hpp"
#include "hermes/tokenizer/chat_template.hpp"
#include "hermes/tokenizer/trainer.hpp"

namespace fs = std::filesystem;
using namespace hermes::tokenizer;

namespace {

const fs::path kDir = fs::path(HERMES_SOURCE_DIR) / "tests/fixtures/tokenizer";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

nlohmann::json saved(const Tokenizer& t, const std::string& name) {
  const auto p = fs::temp_directory_path() / (name + std::to_string(::getpid()) + ".json");
  t.save(p);
  auto j = nlohmann::json::parse(slurp(p));
  fs::remove(p);
  return j;
}

std::vector<std::string> merge_strings(const nlohmann::json& j) {
  std::vector<std::string> out;
  for (const auto& m : j["model"]["merges"])
    out.push_back(m.is_string() ? m.get<std::string>() : m[0].get<std::string>() + " " + m[1].get<std::string>());
  return out;
}

// Counting as HuggingFace's train_from_files does: one record per line, '\n' included.
PretokenCounter count_lines(const fs::path& file, const TrainerOptions& o) {
  PretokenCounter c(o);
  std::ifstream in(file, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) c.add_text(in.eof() ? line : line + "\n");
  return c;
}

TEST(Trainer, SameMergesAsHuggingFace) {
  // hf-llama3 was trained by HF tokenizers on corpus.txt (Llama-3 pattern, min_frequency 0, no
  // special tokens, until no pair was left). The merge sequence must be the same: HF's alphabet
  // holds only the bytes seen, hermes's all 256, which changes ids but not the merge order.
  TrainerOptions o;
  o.pattern = "llama3";
  o.min_frequency = 1;
  o.vocab_size = 100000;
  const auto tok = train(count_lines(kDir / "corpus.txt", o), o);
  const auto hf = nlohmann::json::parse(slurp(kDir / "hf-llama3/tokenizer.json"));
  const auto ours = merge_strings(saved(tok, "hermes_trained_"));
  const auto theirs = merge_strings(hf);
  ASSERT_GT(theirs.size(), 1000u);
  EXPECT_EQ(ours, theirs);
}

TEST(Trainer, DeterministicAndWithinLimits) {
  TrainerOptions o;
  o.special_tokens = {"<|endoftext|>", "<|user|>", "<|assistant|>"};
  o.vocab_size = 700;
  o.min_frequency = 2;
  const auto a = saved(train(count_lines(kDir / "corpus.txt", o), o), "a");
  const auto b = saved(train(count_lines(kDir / "corpus.txt", o), o), "b");
  EXPECT_EQ(a.dump(), b.dump());
  EXPECT_EQ(a["model"]["vocab"].size(), 700u);
  EXPECT_EQ(a["model"]["vocab"]["<|endoftext|>"], 0);
  EXPECT_EQ(a["model"]["vocab"]["<|assistant|>"], 2);
  EXPECT_EQ(a["added_tokens"].size(), 3u);
  EXPECT_EQ(a["model"]["merges"].size(), 700u - 256u - 3u);
  // The first byte token is '!' (lowest byte-level code point), right after the specials.
  EXPECT_EQ(a["model"]["vocab"]["!"], 3);
}

TEST(Trainer, MinFrequencyStopsEarly) {
  TrainerOptions o;
  o.min_frequency = 1000000;
  o.vocab_size = 5000;
  const auto tok = train(count_lines(kDir / "corpus.txt", o), o);
  EXPECT_EQ(tok.vocab_size(), 256u);
}

TEST(Trainer, InvalidUtf8IsCountedAndEncodable) {
  TrainerOptions o;
  o.vocab_size = 300;
  o.min_frequency = 1;
  PretokenCounter c(o);
  c.add_text("caf\xC3 ok \xFF\xFE bad bytes \xE2\x82");
  EXPECT_EQ(c.invalid_bytes(), 5u);  // C3, FF, FE, E2, 82: each byte outside a valid sequence
  const auto tok = train(c, o);
  const std::string s = "again \xFF\xC3 done";
  EXPECT_EQ(tok.decode(tok.encode(s)), s);
}

fs::path write_temp(const std::string& name, const std::string& text) {
  const auto p = fs::temp_directory_path() / (std::to_string(::getpid()) + "_" + name);
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

TEST(Trainer, CorpusFormats) {
  const auto comm = hermes::dist::Communicator::world();
  if (comm.size() != 1) GTEST_SKIP();
  TrainerOptions o;
  o.special_tokens = {"<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>", "<|tool|>"};
  o.vocab_size = 400;
  o.min_frequency = 1;
  const auto jsonl = write_temp("c.jsonl", "{\"text\": \"hello hello world\"}\n\n{\"text\": \"world of hello\"}\n");
  const auto tok = train_from_corpus({.files = {jsonl.string()}, .format = "jsonl"}, o, comm);
  EXPECT_EQ(tok.encode(" hello").size(), 1u);  // a merged word

  const auto share = write_temp(
      "c.sharegpt", R"({"conversations":[{"from":"human","value":"ping ping"},{"from":"gpt","value":"pong pong"}]})"
                    "\n");
  TrainingReport report;
  const auto tok2 = train_from_corpus({.files = {share.string()}, .format = "sharegpt"}, o, comm, &report);
  EXPECT_EQ(report.records, 1u);
  EXPECT_EQ(tok2.encode(" pong").size(), 1u);
  // The specials of the rendered template were not counted as text: no merge spells "<|".
  EXPECT_FALSE(tok2.token_to_id("<|").has_value());

  const auto bad = write_temp("bad.jsonl", "{\"text\": \"ok\"}\n{\"txt\": 1}\n");
  try {
    train_from_corpus({.files = {bad.string()}, .format = "jsonl"}, o, comm);
    FAIL();
  } catch (const hermes::Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jsonl"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("byte 15"), std::string::npos) << e.what();
  }
  // max_bytes reads a prefix (whole records).
  const auto text = write_temp("c.txt", "aaaa\nbbbb\ncccc\n");
  TrainingReport r2;
  train_from_corpus({.files = {text.string()}, .format = "text", .max_bytes = 6}, o, comm, &r2);
  EXPECT_EQ(r2.records, 2u);
  for (const auto& p : {jsonl, share, bad, text}) fs::remove(p);
}

}  // namespace
