// Training under MPI gives the same tokenizer as one process counting everything itself.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "../support/synthetic_words.hpp"
#include "hermes/dist/communicator.hpp"
#include "hermes/tokenizer/trainer.hpp"

namespace fs = std::filesystem;
using namespace hermes::tokenizer;

namespace {

const fs::path kCorpus = fs::path(HERMES_SOURCE_DIR) / "tests/fixtures/tokenizer/corpus.txt";

TEST(TokenizerMpi, MergesIndependentOfRankCount) {
  const auto comm = hermes::dist::Communicator::world();
  ASSERT_GE(comm.size(), 2);
  TrainerOptions o;
  o.special_tokens = {"<|endoftext|>", "<|user|>"};
  o.vocab_size = 900;
  o.min_frequency = 2;
  o.pattern = "llama3";
  // Two files, so rank ranges cut across a file boundary and through the middle of lines.
  const auto dir = fs::temp_directory_path() / "hermes_tok_mpi";
  if (comm.is_root()) {
    fs::create_directories(dir);
    std::ifstream in(kCorpus, std::ios::binary);
    const std::string all((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(dir / "a.txt", std::ios::binary) << all.substr(0, all.size() / 3);
    std::ofstream(dir / "b.txt", std::ios::binary) << all.substr(all.size() / 3);
  }
  comm.barrier();
  const CorpusOptions corpus{.files = {(dir / "a.txt").string(), (dir / "b.txt").string()}, .format = "text"};
  TrainingReport report;
  const Tokenizer distributed = train_from_corpus(corpus, o, comm, &report);

  // Reference: this process counts the whole corpus alone, line by line.
  PretokenCounter alone(o);
  for (const auto& f : corpus.files) {
    std::ifstream in(f, std::ios::binary);
    std::string line;
    while (std::getline(in, line)) alone.add_text(in.eof() ? line : line + "\n");
  }
  const Tokenizer reference = train(alone, o);
  EXPECT_EQ(report.records, alone.records());
  EXPECT_EQ(report.bytes, alone.bytes());
  EXPECT_EQ(distributed.fingerprint(), reference.fingerprint());
  EXPECT_EQ(distributed.vocab_size(), 900u);
  const std::string probe = "the tokenizer model trained on parallel ranks";
  EXPECT_EQ(distributed.encode(probe), reference.encode(probe));
  comm.barrier();
  if (comm.is_root()) fs::remove_all(dir);
}

// The distributed merge (words split over ranks by hash, counts exchanged every step) against one
// process holding every word, on a corpus merged until no pair is left: thousands of steps, most
// of them ties broken by the (left, right) rule, jsonl input, and a rank boundary mid-file.
TEST(TokenizerMpi, DistributedMergeEqualsOneRankThroughTies) {
  const auto comm = hermes::dist::Communicator::world();
  ASSERT_GE(comm.size(), 2);
  TrainerOptions o;
  o.special_tokens = {"<|endoftext|>", "<think>"};
  o.vocab_size = 1'000'000;
  o.min_frequency = 1;
  o.pattern = "qwen2";
  const auto dir = fs::temp_directory_path() / "hermes_tok_mpi_ties";
  const std::string text = hermes::test::synthetic_words(3000, 11);
  std::vector<std::string> records;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t nl = text.find('\n', pos);
    records.push_back(text.substr(pos, nl - pos) + (records.size() % 5 == 0 ? " <think>" : ""));
    pos = nl + 1;
  }
  if (comm.is_root()) {
    fs::create_directories(dir);
    std::ofstream out(dir / "c.jsonl", std::ios::binary);
    for (const auto& r : records) out << nlohmann::json{{"text", r}}.dump() << "\n";
  }
  comm.barrier();
  const CorpusOptions corpus{.files = {(dir / "c.jsonl").string()}, .format = "jsonl"};
  TrainingReport report;
  const Tokenizer distributed = train_from_corpus(corpus, o, comm, &report);

  PretokenCounter alone(o);
  for (const auto& r : records) alone.add_text(r);
  const Tokenizer reference = train(alone, o);
  EXPECT_EQ(report.records, alone.records());
  EXPECT_EQ(report.distinct_pretokens, alone.distinct());
  ASSERT_GT(reference.vocab_size(), 4000u);
  EXPECT_EQ(report.merges + 256 + o.special_tokens.size(), reference.vocab_size());
  EXPECT_EQ(distributed.fingerprint(), reference.fingerprint());
  EXPECT_EQ(distributed.encode(records[1]), reference.encode(records[1]));
  comm.barrier();
  if (comm.is_root()) fs::remove_all(dir);
}

}  // namespace
