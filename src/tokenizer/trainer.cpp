// Merging: byte-pair merges over counted words, the highest-count pair first, until the
// vocabulary is full. With an exchange, each rank merges only the words it owns and the count
// changes of every round are summed over ranks (train_from_corpus), so all end alike.
#include "hermes/tokenizer/trainer.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "hermes/core/error.hpp"
#include "hermes/core/progress.hpp"
#include "hermes/core/strings.hpp"
#include "hermes/tokenizer/byte_level.hpp"
#include "impl.hpp"

namespace hermes::tokenizer {

void validate(const TrainerOptions& o) {
  std::unordered_set<std::string> seen;
  for (const auto& s : o.special_tokens) {
    if (s.empty()) fail("{}: special_tokens holds an empty string; remove it", o.where);
    if (!seen.insert(s).second) fail("{}: special token '{}' is listed twice; remove one", o.where, s);
  }
  const std::size_t floor = 256 + o.special_tokens.size();
  if (o.vocab_size < floor)
    fail("{}: vocab_size {} is smaller than the 256 byte tokens plus {} special tokens; use vocab_size >= {}", o.where,
         o.vocab_size, o.special_tokens.size(), floor);
  if (o.pattern.empty()) fail("{}: pattern is empty; use gpt2, llama3, qwen2 or a regex", o.where);
  (void)pretokenizer_for_pattern(o.pattern);  // compiles the regex: bad patterns fail here
}

namespace {

inline std::uint64_t key(TokenId a, TokenId b) { return (std::uint64_t(a) << 32) | b; }

struct HeapEntry {
  std::int64_t count;
  std::uint64_t pair;
  // Highest count first; ties: the smallest (left, right) pair first.
  bool operator<(const HeapEntry& o) const { return count != o.count ? count < o.count : pair > o.pair; }
};

// Count changes of one merge step, summed per pair. Clearing touches only the used slots (an
// unordered_map's clear() costs its bucket count, every one of ~30k steps).
class DeltaTable {
 public:
  DeltaTable() { resize(1 << 12); }
  void add(std::uint64_t k, std::int64_t d) {
    if ((touched_.size() + 1) * 2 > keys_.size()) resize(keys_.size() * 2);
    std::size_t i = slot(k);
    if (keys_[i] == kEmpty) {
      keys_[i] = k;
      values_[i] = 0;
      touched_.push_back(static_cast<std::uint32_t>(i));
    }
    values_[i] += d;
  }
  template <class F>
  void for_each(F&& f) const {
    for (auto i : touched_) f(keys_[i], values_[i]);
  }
  void clear() {
    for (auto i : touched_) keys_[i] = kEmpty;
    touched_.clear();
  }

 private:
  static constexpr std::uint64_t kEmpty = ~0ULL;  // no pair key: ids stay below 2^31
  std::size_t slot(std::uint64_t k) const {
    std::uint64_t h = k * 0x9E3779B97F4A7C15ULL;
    std::size_t i = static_cast<std::size_t>(h >> 20) & (keys_.size() - 1);
    while (keys_[i] != kEmpty && keys_[i] != k) i = (i + 1) & (keys_.size() - 1);
    return i;
  }
  void resize(std::size_t n) {
    std::vector<std::pair<std::uint64_t, std::int64_t>> live;
    for (auto i : touched_) live.emplace_back(keys_[i], values_[i]);
    keys_.assign(n, kEmpty);
    values_.assign(n, 0);
    touched_.clear();
    for (const auto& [k, v] : live) {
      const std::size_t i = slot(k);
      keys_[i] = k;
      values_[i] = v;
      touched_.push_back(static_cast<std::uint32_t>(i));
    }
  }
  std::vector<std::uint64_t> keys_;
  std::vector<std::int64_t> values_;
  std::vector<std::uint32_t> touched_;
};

// The merge loop's state and its steps, in the order train_shard runs them.
class BpeMerger {
 public:
  BpeMerger(const TrainerOptions& options, const DeltaExchange& exchange) : o_(options), exchange_(exchange) {}

  // Vocabulary: specials, then bytes ordered by their byte-level code point.
  void start_vocabulary() {
    for (const auto& s : o_.special_tokens) token_bytes_.push_back(s);
    std::array<int, 256> order{};
    for (int b = 0; b < 256; ++b) order[b] = b;
    std::sort(order.begin(), order.end(), [](int a, int b) {
      return byte_level::byte_to_codepoint(static_cast<std::uint8_t>(a)) <
             byte_level::byte_to_codepoint(static_cast<std::uint8_t>(b));
    });
    for (int b : order) {
      byte_id_[b] = static_cast<TokenId>(token_bytes_.size());
      token_bytes_.push_back(std::string(1, static_cast<char>(b)));
    }
    for (auto id = static_cast<TokenId>(o_.special_tokens.size()); id < token_bytes_.size(); ++id)
      bytes_to_id_.emplace(token_bytes_[id], id);
  }

  // Words, in whatever order the counts come: the merges depend only on the counts (every step
  // takes the best (count, pair) over all words), not on word order. All words live in one arena
  // (offset, length per word): the merge loop walks the words of a pair in increasing index, so
  // in increasing memory order.
  void load_words(const PretokenCounter& counter) {
    const std::size_t distinct = counter.distinct();
    word_offset_.reserve(distinct);
    word_length_.reserve(distinct);
    freq_.reserve(distinct);
    pair_count_.reserve(distinct * 2);
    where_.reserve(distinct * 2);
    counter.for_each([&](std::string_view bytes, std::uint64_t count) {
      const auto w = static_cast<std::uint32_t>(freq_.size());
      freq_.push_back(static_cast<std::int64_t>(count));
      word_offset_.push_back(arena_.size());
      word_length_.push_back(static_cast<std::uint32_t>(bytes.size()));
      for (char c : bytes) arena_.push_back(byte_id_[static_cast<unsigned char>(c)]);
      const TokenId* word = arena_.data() + word_offset_[w];
      for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
        const auto k = key(word[i], word[i + 1]);
        pair_count_[k] += freq_[w];
        note_word_holds(k, w);
      }
    });
  }

  // The starting table (with an exchange, the sum of every shard's own counts) into the queue.
  void start_counts() {
    if (exchange_) {
      records_.reserve(pair_count_.size());
      for (const auto& [k, c] : pair_count_) records_.push_back({k, c});
      pair_count_.clear();
      exchange_(records_);
      for (const auto& r : records_) pair_count_[r.pair] += r.delta;
    }
    for (const auto& [k, c] : pair_count_) heap_.push({c, k});
  }

  // Merges until the vocabulary is full or no pair is frequent enough.
  void merge_all() {
    const auto first_merge = static_cast<std::int64_t>(token_bytes_.size());
    Progress progress("tokenizer: merging", "tokens", static_cast<std::int64_t>(o_.vocab_size) - first_merge);
    while (token_bytes_.size() < o_.vocab_size) {
      progress.set(static_cast<std::int64_t>(token_bytes_.size()) - first_merge);
      if (!merge_round()) break;
    }
    progress.set(static_cast<std::int64_t>(token_bytes_.size()) - first_merge);
  }

  // The tokenizer, built through the same path tokenizer.json takes.
  Tokenizer finish() {
    Tokenizer tok;
    auto& impl = tok.impl();
    impl.source = "<trained tokenizer>";
    const std::size_t n = token_bytes_.size();
    impl.id_text.resize(n);
    impl.id_bytes = token_bytes_;
    impl.id_present.assign(n, true);
    impl.id_in_model.assign(n, true);
    for (std::size_t id = 0; id < n; ++id) {
      impl.id_text[id] = id < o_.special_tokens.size() ? token_bytes_[id] : byte_level::encode(token_bytes_[id]);
      impl.text_to_id.emplace(impl.id_text[id], static_cast<TokenId>(id));
    }
    impl.model_vocab_entries = n;
    impl.merges.reserve(merges_.size());
    for (std::size_t r = 0; r < merges_.size(); ++r)
      impl.merges.insert(merges_[r].left, merges_[r].right, static_cast<std::uint32_t>(r), merges_[r].merged);
    impl.merge_list = std::move(merges_);
    for (std::size_t i = 0; i < o_.special_tokens.size(); ++i)
      impl.added.push_back({o_.special_tokens[i], static_cast<TokenId>(i), true, false, false, false, false});
    impl.normalization = Normalization::none;
    impl.normalizer_json = nullptr;
    impl.pre_tokenizer_json = pre_tokenizer_json_for_pattern(o_.pattern);
    impl.pretokenizer = pretokenizer_for_pattern(o_.pattern);
    impl.post_processor_json = byte_level_post_processor_json();
    impl.decoder_json = byte_level_decoder_json();
    impl.extra_model_fields = nlohmann::ordered_json::object();
    impl.finalize();
    return tok;
  }

 private:
  static constexpr std::size_t kMaxBatch = 256;

  void note_word_holds(std::uint64_t pair, std::uint32_t w) {
    auto& v = where_[pair];
    if (v.empty() || v.back() != w) v.push_back(w);
  }
  bool frequent_enough(const HeapEntry& e) const {
    return e.count > 0 && static_cast<std::uint64_t>(e.count) >= o_.min_frequency;
  }

  // The queue's best entry whose count is current, or null. Only count increases push an entry;
  // a pair whose count fell keeps its older, higher entries, so every pair in the table has an
  // entry at or above its count. An entry above the count is replaced by the current one when it
  // comes up, an entry below it (an exact one was pushed) is dropped, as are merged pairs'.
  const HeapEntry* best_current() {
    while (!heap_.empty()) {
      const HeapEntry e = heap_.top();
      const auto pc = pair_count_.find(e.pair);
      if (pc != pair_count_.end() && pc->second == e.count) return &heap_.top();
      heap_.pop();
      if (pc != pair_count_.end() && pc->second < e.count && pc->second > 0) heap_.push({pc->second, e.pair});
    }
    return nullptr;
  }

  // A round merges one pair or, between shards, a batch of pairs that one process would merge in
  // the same order, with one exchange for the batch. Merging (a, b) changes only the counts of
  // pairs whose right token is a or whose left token is b (and of pairs holding the new token).
  // After merging p1..pj, the next best entry (l, r) of the table as it stood at the round's start
  // is also the next merge of one process when l is no right token and r no left token of
  // p1..pj, l != r, and every pj made a new id; docs/tokenizer.md gives the proof. Returns false
  // when nothing is left to merge.
  bool merge_round() {
    const HeapEntry* top = best_current();
    if (top == nullptr || !frequent_enough(*top)) return false;
    batch_.clear();
    lefts_.clear();
    rights_.clear();
    delta_.clear();
    while (true) {
      const std::uint64_t pair = top->pair;
      heap_.pop();
      const TokenId left = static_cast<TokenId>(pair >> 32), right = static_cast<TokenId>(pair);
      batch_.push_back(pair);
      lefts_.push_back(left);
      rights_.push_back(right);
      const bool fresh = merge_pair(pair);
      if (!exchange_ || !fresh || left == right || batch_.size() == kMaxBatch) break;
      if (token_bytes_.size() >= o_.vocab_size || (top = best_current()) == nullptr) break;
      if (!frequent_enough(*top)) break;
      const TokenId l = static_cast<TokenId>(top->pair >> 32), r = static_cast<TokenId>(top->pair);
      if (l == r || holds(rights_, l) || holds(lefts_, r)) break;
    }
    apply_count_changes();
    return true;
  }

  // Merges one pair in this shard's words, adding the count changes to delta_. Returns whether
  // the merged token is a new id (its bytes were not in the vocabulary yet).
  bool merge_pair(std::uint64_t pair) {
    const TokenId left = static_cast<TokenId>(pair >> 32), right = static_cast<TokenId>(pair);
    std::string merged_bytes = token_bytes_[left] + token_bytes_[right];
    TokenId merged;
    bool fresh = false;
    if (auto it = bytes_to_id_.find(merged_bytes); it != bytes_to_id_.end()) {
      merged = it->second;
    } else {
      merged = static_cast<TokenId>(token_bytes_.size());
      bytes_to_id_.emplace(merged_bytes, merged);
      token_bytes_.push_back(std::move(merged_bytes));
      fresh = true;
    }
    merges_.push_back({left, right, merged});

    std::vector<std::uint32_t> words;
    if (auto it = where_.find(pair); it != where_.end()) {
      words = std::move(it->second);
      where_.erase(it);
    }
    std::sort(words.begin(), words.end());
    words.erase(std::unique(words.begin(), words.end()), words.end());
    for (const std::uint32_t w : words) {
      TokenId* s = arena_.data() + word_offset_[w];
      std::uint32_t& len = word_length_[w];
      const std::int64_t f = freq_[w];
      for (std::size_t i = 0; i + 1 < len;) {
        if (s[i] != left || s[i + 1] != right) {
          ++i;
          continue;
        }
        if (i > 0) {
          delta_.add(key(s[i - 1], left), -f);
          delta_.add(key(s[i - 1], merged), f);
          note_word_holds(key(s[i - 1], merged), w);
        }
        if (i + 2 < len) {
          delta_.add(key(right, s[i + 2]), -f);
          delta_.add(key(merged, s[i + 2]), f);
          note_word_holds(key(merged, s[i + 2]), w);
        }
        s[i] = merged;
        std::memmove(s + i + 1, s + i + 2, (len - i - 2) * sizeof(TokenId));
        --len;
        ++i;
      }
    }
    // The merged pair leaves the table: its global count drops to 0.
    pair_count_.erase(pair);
    return fresh;
  }

  // The round's count changes into the table and the queue. Between shards they are summed over
  // shards first, so that each changed pair enters the queue once, with its count.
  void apply_count_changes() {
    std::sort(batch_.begin(), batch_.end());
    auto in_batch = [&](std::uint64_t k) { return std::binary_search(batch_.begin(), batch_.end(), k); };
    const DeltaTable* changes = &delta_;
    if (exchange_) {
      records_.clear();
      delta_.for_each([&](std::uint64_t k, std::int64_t d) {
        if (d != 0 && !in_batch(k)) records_.push_back({k, d});
      });
      exchange_(records_);
      summed_.clear();
      for (const auto& r : records_) summed_.add(r.pair, r.delta);
      changes = &summed_;
    }
    changes->for_each([&](std::uint64_t k, std::int64_t d) {
      if (d == 0 || in_batch(k)) return;
      auto& c = pair_count_[k];
      c += d;
      if (d > 0 && c > 0) heap_.push({c, k});
    });
  }

  static bool holds(const std::vector<TokenId>& v, TokenId t) { return std::find(v.begin(), v.end(), t) != v.end(); }

  const TrainerOptions& o_;
  const DeltaExchange& exchange_;
  // The vocabulary so far: each id's bytes, and back.
  std::vector<std::string> token_bytes_;
  std::array<TokenId, 256> byte_id_{};
  StringMap<TokenId> bytes_to_id_;
  std::vector<Merge> merges_;
  // This shard's words: tokens in one arena, each word's start, current length and count.
  std::vector<TokenId> arena_;
  std::vector<std::uint64_t> word_offset_;
  std::vector<std::uint32_t> word_length_;
  std::vector<std::int64_t> freq_;
  // pair_count_: the global counts (this shard's words plus every other shard's, through the
  // exchange); where_: this shard's words holding each pair.
  std::unordered_map<std::uint64_t, std::int64_t> pair_count_;
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> where_;
  std::priority_queue<HeapEntry> heap_;
  // One round: its pairs, their left and right tokens, and the count changes (own, and summed).
  std::vector<std::uint64_t> batch_;
  std::vector<TokenId> lefts_, rights_;
  DeltaTable delta_, summed_;
  std::vector<PairDelta> records_;
};

}  // namespace

Tokenizer train(const PretokenCounter& counter, const TrainerOptions& o) { return train_shard(counter, o, nullptr); }

Tokenizer train_shard(const PretokenCounter& counter, const TrainerOptions& o, const DeltaExchange& exchange) {
  validate(o);
  BpeMerger merger(o, exchange);
  merger.start_vocabulary();
  merger.load_words(counter);
  merger.start_counts();
  merger.merge_all();
  return merger.finish();
}

}  // namespace hermes::tokenizer
