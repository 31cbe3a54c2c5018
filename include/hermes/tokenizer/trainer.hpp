#pragma once
// Byte-level BPE training.
//
// Counting: the corpus is cut into records (text: each line with its '\n'; jsonl: one object per
// line, its text field; sharegpt: one conversation per line, rendered by the chat template).
// Special tokens are split out of each record, the rest is pre-tokenized and every distinct
// pre-token is counted. Under MPI each rank reads its own byte range of the concatenated inputs
// (a record belongs to the rank whose range holds its first byte); the distinct pre-tokens are
// then sent to their owner rank, chosen by a hash of their bytes (shard_of), which sums them.
//
// Merging (deterministic, independent of the rank count): ids 0.. are the special tokens in the
// order given, then the 256 bytes in the order of their byte-level characters' code points (as
// HuggingFace does), then one id per merge. Each step merges the pair with the highest count;
// ties go to the pair whose (left id, right id) is smallest. Training stops at vocab_size or
// when the best count is below min_frequency.
//
// Distributed merging: each rank holds only the words (pre-tokens) it owns, but a replicated
// table of the global pair counts and the same priority queue. Every step each rank picks the
// same best pair from its copy, merges it in its own words, and the per-pair count changes of all
// ranks are exchanged and added to every copy. The table is always the exact global sum, so the
// merges are those of one process holding every word.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hermes/dist/communicator.hpp"
#include "hermes/tokenizer/tokenizer.hpp"

namespace hermes::tokenizer {

struct TrainerOptions {
  std::size_t vocab_size = 32000;
  std::uint64_t min_frequency = 2;
  std::vector<std::string> special_tokens;
  std::string pattern = "gpt2";       // gpt2, llama3, qwen2, or a PCRE2 regex
  std::string where = "[tokenizer]";  // deck place named in errors
};

// Refuses, before any work, a vocabulary smaller than 256 bytes + specials, duplicate or empty
// special tokens, or a pattern that does not compile.
void validate(const TrainerOptions& options);

class PretokenCounter {
 public:
  explicit PretokenCounter(const TrainerOptions& options);
  ~PretokenCounter();
  PretokenCounter(PretokenCounter&&) noexcept;
  PretokenCounter& operator=(PretokenCounter&&) noexcept;
  // Counts the pre-tokens of one record.
  void add_text(std::string_view text);
  // Adds counts serialized by another counter (MPI reduction).
  std::string serialize() const;
  void add_serialized(std::string_view data);
  // The pre-tokens with shard_of(bytes, parts) == part, in serialize()'s format, with zero byte,
  // record and invalid-byte totals (those are summed separately).
  std::string serialize_shard(std::size_t part, std::size_t parts) const;

  std::uint64_t bytes() const { return bytes_; }
  std::uint64_t invalid_bytes() const { return invalid_bytes_; }
  std::uint64_t records() const { return records_; }
  std::size_t distinct() const;
  // (pre-token bytes, count), sorted by bytes.
  std::vector<std::pair<std::string, std::uint64_t>> sorted() const;
  // Every (pre-token bytes, count), in no particular order.
  void for_each(const std::function<void(std::string_view, std::uint64_t)>& f) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::uint64_t bytes_ = 0, invalid_bytes_ = 0, records_ = 0;
};

// The merge phase on counted pre-tokens.
Tokenizer train(const PretokenCounter& counts, const TrainerOptions& options);

// The shard (0..parts-1) that owns a pre-token in distributed merging: a fixed hash of its bytes,
// the same in every process.
std::size_t shard_of(std::string_view pretoken, std::size_t parts);

// A change of one pair's count; pair = left id << 32 | right id.
struct PairDelta {
  std::uint64_t pair;
  std::int64_t delta;
};
// Connects the shards of a distributed merge: every shard calls it at the same points with its
// own changes and gets back the changes of all shards (its own included), in any order.
using DeltaExchange = std::function<void(std::vector<PairDelta>& records)>;

// The merge phase on one shard of the words: every shard calls it with the same options and its
// own words, and all return the tokenizer train() gives on the union of the shards' words (the
// shards must hold disjoint sets of pre-tokens).
Tokenizer train_shard(const PretokenCounter& owned, const TrainerOptions& options, const DeltaExchange& exchange);

struct CorpusOptions {
  std::vector<std::string> files;
  std::string format = "text";  // text, jsonl, sharegpt
  std::string text_field = "text";
  std::uint64_t max_bytes = 0;  // 0: all
};

struct TrainingReport {
  std::uint64_t bytes = 0, records = 0, invalid_bytes = 0, distinct_pretokens = 0, merges = 0;
  double count_seconds = 0, merge_seconds = 0;
  double exchange_seconds = 0;  // part of merge_seconds: delta exchanges, this rank's
  std::uint64_t exchanges = 0;  // merge rounds that exchanged count changes (0 on one rank)
  // CPU seconds, the largest over ranks: counting (with the count exchange's waits), and merging
  // outside the delta exchanges.
  double count_cpu_seconds = 0, merge_cpu_seconds = 0;
};

// Collective: every rank calls it; every rank returns the same tokenizer.
Tokenizer train_from_corpus(const CorpusOptions& corpus, const TrainerOptions& options, const dist::Communicator& comm,
                            TrainingReport* report = nullptr);

}  // namespace hermes::tokenizer
