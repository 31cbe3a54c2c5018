// Distributed merging's building blocks, without MPI: the word partition (shard_of,
// serialize_shard) and train_shard run by several threads connected by an in-process exchange,
// which must give exactly train() on all the words, whatever the number of shards.
#include <gtest/gtest.h>

#include <barrier>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "../support/synthetic_words.hpp"
#include "hermes/tokenizer/trainer.hpp"

using namespace hermes::tokenizer;

namespace {

std::string fixture_corpus() {
  std::ifstream in(std::filesystem::path(HERMES_SOURCE_DIR) / "tests/fixtures/tokenizer/corpus.txt", std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

void count_lines(PretokenCounter& c, const std::string& text) {
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t nl = text.find('\n', pos);
    nl = nl == std::string::npos ? text.size() : nl + 1;
    c.add_text(std::string_view(text).substr(pos, nl - pos));
    pos = nl;
  }
}

TEST(TokenizerShard, ShardOfIsInRangeStableAndSpreads) {
  EXPECT_EQ(shard_of("anything", 1), 0u);
  EXPECT_EQ(shard_of("", 0), 0u);
  std::vector<std::size_t> hits(3);
  for (int i = 0; i < 3000; ++i) {
    const std::string w = "w" + std::to_string(i);
    const std::size_t s = shard_of(w, 3);
    ASSERT_LT(s, 3u);
    EXPECT_EQ(s, shard_of(std::string(w), 3));  // a function of the bytes only
    ++hits[s];
  }
  for (auto h : hits) {  // 1000 expected each; a broken hash puts (nearly) all in one
    EXPECT_GT(h, 800u);
    EXPECT_LT(h, 1200u);
  }
}

TEST(TokenizerShard, ShardsPartitionTheCounts) {
  TrainerOptions o;
  o.pattern = "gpt2";
  PretokenCounter whole(o);
  count_lines(whole, fixture_corpus());
  for (std::size_t parts : {1u, 2u, 3u, 7u}) {
    std::map<std::string, std::uint64_t> merged;
    std::size_t distinct = 0;
    for (std::size_t p = 0; p < parts; ++p) {
      PretokenCounter shard(o);
      shard.add_serialized(whole.serialize_shard(p, parts));
      EXPECT_EQ(shard.bytes(), 0u);  // totals travel separately
      EXPECT_EQ(shard.records(), 0u);
      distinct += shard.distinct();
      for (const auto& [k, c] : shard.sorted()) {
        EXPECT_EQ(shard_of(k, parts), p) << k;
        EXPECT_TRUE(merged.emplace(k, c).second) << "pre-token in two shards: " << k;
      }
    }
    EXPECT_EQ(distinct, whole.distinct());
    const auto all = whole.sorted();
    const std::vector<std::pair<std::string, std::uint64_t>> rebuilt(merged.begin(), merged.end());
    EXPECT_EQ(rebuilt, all) << parts << " parts";
  }
}

// Runs train_shard on `parts` threads, each holding one shard of `whole`'s words. The exchange
// gathers every thread's records through shared slots between two barrier phases.
std::vector<Tokenizer> train_threads(const PretokenCounter& whole, const TrainerOptions& o, std::size_t parts) {
  std::vector<PretokenCounter> shards;
  for (std::size_t p = 0; p < parts; ++p) {
    shards.emplace_back(o);
    shards.back().add_serialized(whole.serialize_shard(p, parts));
  }
  std::vector<std::vector<PairDelta>> slots(parts);
  std::barrier sync(static_cast<std::ptrdiff_t>(parts));
  std::vector<Tokenizer> out(parts);
  std::vector<std::thread> threads;
  for (std::size_t p = 0; p < parts; ++p)
    threads.emplace_back([&, p] {
      out[p] = train_shard(shards[p], o, [&](std::vector<PairDelta>& records) {
        slots[p] = records;
        sync.arrive_and_wait();
        records.clear();
        for (std::size_t q = parts; q-- > 0;)  // another order than rank order: sums must not care
          records.insert(records.end(), slots[q].begin(), slots[q].end());
        sync.arrive_and_wait();
      });
      // Should the shards disagree on the number of steps, the others go on alone (and the
      // fingerprints differ) instead of waiting here forever.
      slots[p].clear();
      sync.arrive_and_drop();
    });
  for (auto& t : threads) t.join();
  return out;
}

TEST(TokenizerShard, ShardedMergesEqualOneProcessOnFixture) {
  TrainerOptions o;
  o.special_tokens = {"<|endoftext|>"};
  o.vocab_size = 1200;
  o.min_frequency = 2;
  o.pattern = "llama3";
  PretokenCounter whole(o);
  count_lines(whole, fixture_corpus());
  const Tokenizer reference = train(whole, o);
  ASSERT_GT(reference.vocab_size(), 600u);
  for (std::size_t parts : {1u, 2u, 3u}) {
    const auto got = train_threads(whole, o, parts);
    for (std::size_t p = 0; p < parts; ++p)
      EXPECT_EQ(got[p].fingerprint(), reference.fingerprint()) << "shard " << p << " of " << parts;
  }
}

// min_frequency 1 and an unreachable vocabulary: merging goes on until every word is one token,
// through thousands of steps where many pairs share the best count (ties down to count 1), and
// with 5 shards some shards hold no word with the chosen pair.
TEST(TokenizerShard, ShardedMergesEqualOneProcessToTheLastTie) {
  TrainerOptions o;
  o.vocab_size = 1'000'000;
  o.min_frequency = 1;
  o.pattern = "gpt2";
  PretokenCounter whole(o);
  count_lines(whole, hermes::test::synthetic_words(1500));
  const Tokenizer reference = train(whole, o);
  ASSERT_GT(reference.vocab_size(), 3000u);
  // Every distinct pre-token is now one token (training stopped for lack of pairs).
  for (const auto& [k, c] : whole.sorted()) ASSERT_EQ(reference.encode(k).size(), 1u) << k;
  for (std::size_t parts : {2u, 5u}) {
    const auto got = train_threads(whole, o, parts);
    for (std::size_t p = 0; p < parts; ++p)
      EXPECT_EQ(got[p].fingerprint(), reference.fingerprint()) << "shard " << p << " of " << parts;
  }
}

}  // namespace
