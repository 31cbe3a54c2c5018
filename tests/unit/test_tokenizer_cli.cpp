// `hermes tokenize` and `hermes train-tokenizer` end to end (the real binary).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(HERMES_SOURCE_DIR) / "tests/fixtures/tokenizer";

// Runs a shell command, returns (exit status, stdout).
std::pair<int, std::string> run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>/dev/null").c_str(), "r");
  if (!p) return {-1, ""};
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

const std::string kHermes =
    std::string("env -u OMPI_COMM_WORLD_SIZE -u OMPI_COMM_WORLD_RANK -u PMIX_RANK ") + HERMES_BINARY;

TEST(TokenizeCli, EncodesTextFileJsonlAndDecodes) {
  const auto tok = kDir / "gpt2/tokenizer.json";
  auto [rc, out] = run(kHermes + " tokenize --tokenizer " + q(tok) + " 'Hello world'");
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(out, "[15496,995]\n");  // GPT-2's ids for "Hello", " world"

  // A whole file is one text, newlines included: compare with HF's ids for the same text.
  std::ifstream in(kDir / "gpt2/expected.json");
  const auto expected = nlohmann::json::parse(in)["cases"][6];  // "line one\nline two\n\n..."
  const auto tmp = fs::temp_directory_path() / ("hermes_cli_" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  std::ofstream(tmp / "t.txt", std::ios::binary) << expected["text"].get<std::string>();
  std::tie(rc, out) = run(kHermes + " tokenize --tokenizer " + q(tok) + " --file " + q(tmp / "t.txt"));
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(nlohmann::json::parse(out), expected["ids"]);

  std::ofstream(tmp / "t.jsonl") << "{\"text\": \"Hello world\"}\n{\"text\": \"Hello\"}\n";
  std::tie(rc, out) = run(kHermes + " tokenize --tokenizer " + q(tok) + " --jsonl " + q(tmp / "t.jsonl"));
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(out, "[15496,995]\n[15496]\n");

  std::tie(rc, out) = run(kHermes + " tokenize --decode --tokenizer " + q(tok) + " '[15496,995,50256]'");
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(out, "Hello world<|endoftext|>");

  std::tie(rc, out) = run(kHermes + " tokenize --tokenizer " + q(kDir / "nonexistent.json") + " x");
  EXPECT_NE(rc, 0);
  fs::remove_all(tmp);
}

TEST(TrainTokenizerCli, WritesALoadableTokenizer) {
  const auto tmp = fs::temp_directory_path() / ("hermes_cli_train_" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  auto [rc, out] = run(kHermes + " train-tokenizer --input " + q(kDir / "corpus.txt") + " --output " +
                       q(tmp / "tok.json") + " --vocab-size 400 --pattern llama3");
  ASSERT_EQ(rc, 0) << out;
  std::tie(rc, out) = run(kHermes + " tokenize --tokenizer " + q(tmp / "tok.json") + " '<|user|>hi'");
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(out.substr(0, 3), "[3,");  // <|user|> is the 4th default special token
  // Too small a vocabulary is refused before any work.
  std::tie(rc, out) = run(kHermes + " train-tokenizer --input " + q(kDir / "corpus.txt") + " --output " +
                          q(tmp / "x.json") + " --vocab-size 260");
  EXPECT_NE(rc, 0);
  EXPECT_FALSE(fs::exists(tmp / "x.json"));
  fs::remove_all(tmp);
}

}  // namespace
