#include "hermes/tokenizer/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <queue>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "hermes/core/progress.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"
#include "hermes/core/strings.hpp"
#include "hermes/tokenizer/byte_level.hpp"
#include "hermes/tokenizer/chat_template.hpp"
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

// ---- counting --------------------------------------------------------------------------------
namespace {

// Pre-token -> count: a flat table, the counting loop's hot lookup.
class FlatCounts {
 public:
  void add(std::string_view key, std::uint64_t count) { map_.get_or_insert(key, 0) += count; }
  std::size_t size() const { return map_.size(); }
  template <class F>
  void for_each(F&& f) const {
    map_.for_each(f);
  }

 private:
  FlatStringMap<std::uint64_t> map_;
};

}  // namespace

struct PretokenCounter::State {
  Tokenizer::Impl splitter;  // specials + pre-tokenizer only
  FlatCounts counts;
};

PretokenCounter::PretokenCounter(const TrainerOptions& o) : state_(std::make_unique<State>()) {
  auto& s = state_->splitter;
  s.pretokenizer = pretokenizer_for_pattern(o.pattern);
  TokenId id = 0;
  for (const auto& sp : o.special_tokens) s.added.push_back({sp, id++, true, false, false, false, false});
  s.raw_matcher.build(s.added, false);
  s.normalized_matcher.build(s.added, true);
}
PretokenCounter::~PretokenCounter() = default;
PretokenCounter::PretokenCounter(PretokenCounter&&) noexcept = default;
PretokenCounter& PretokenCounter::operator=(PretokenCounter&&) noexcept = default;

void PretokenCounter::add_text(std::string_view text) {
  bytes_ += text.size();
  ++records_;
  for (std::size_t pos = 0; pos < text.size();) {
    pos += utf8::valid_prefix(text.substr(pos));
    if (pos < text.size()) ++invalid_bytes_, ++pos;
  }
  auto& counts = state_->counts;
  state_->splitter.walk(
      text, [&](std::string_view p) { counts.add(p, 1); }, [](TokenId) {});
}

std::size_t PretokenCounter::distinct() const { return state_->counts.size(); }

std::string PretokenCounter::serialize() const {
  std::string out;
  auto put = [&](std::uint64_t v) { out.append(reinterpret_cast<const char*>(&v), 8); };
  put(bytes_), put(invalid_bytes_), put(records_), put(state_->counts.size());
  state_->counts.for_each([&](std::string_view k, std::uint64_t v) {
    put(k.size());
    out += k;
    put(v);
  });
  return out;
}

std::size_t shard_of(std::string_view pretoken, std::size_t parts) {
  if (parts <= 1) return 0;
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a, then a final mix: fixed across processes
  for (unsigned char c : pretoken) h = (h ^ c) * 0x100000001b3ULL;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return static_cast<std::size_t>(h % parts);
}

std::string PretokenCounter::serialize_shard(std::size_t part, std::size_t parts) const {
  std::string out;
  auto put = [&](std::uint64_t v) { out.append(reinterpret_cast<const char*>(&v), 8); };
  put(0), put(0), put(0), put(0);
  std::uint64_t n = 0;
  state_->counts.for_each([&](std::string_view k, std::uint64_t v) {
    if (shard_of(k, parts) != part) return;
    put(k.size());
    out += k;
    put(v);
    ++n;
  });
  std::memcpy(out.data() + 24, &n, 8);
  return out;
}

void PretokenCounter::add_serialized(std::string_view data) {
  std::size_t pos = 0;
  auto get = [&] {
    std::uint64_t v;
    HERMES_ASSERT(pos + 8 <= data.size());
    std::memcpy(&v, data.data() + pos, 8);
    pos += 8;
    return v;
  };
  bytes_ += get();
  invalid_bytes_ += get();
  records_ += get();
  const std::uint64_t n = get();
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t len = get();
    HERMES_ASSERT(pos + len <= data.size());
    const std::string_view key = data.substr(pos, len);
    pos += len;
    state_->counts.add(key, get());
  }
}

std::vector<std::pair<std::string, std::uint64_t>> PretokenCounter::sorted() const {
  std::vector<std::pair<std::string, std::uint64_t>> v;
  v.reserve(state_->counts.size());
  state_->counts.for_each([&](std::string_view k, std::uint64_t c) { v.emplace_back(std::string(k), c); });
  std::sort(v.begin(), v.end());
  return v;
}

void PretokenCounter::for_each(const std::function<void(std::string_view, std::uint64_t)>& f) const {
  state_->counts.for_each(f);
}

// ---- merging ---------------------------------------------------------------------------------
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

}  // namespace

Tokenizer train(const PretokenCounter& counter, const TrainerOptions& o) { return train_shard(counter, o, nullptr); }

Tokenizer train_shard(const PretokenCounter& counter, const TrainerOptions& o, const DeltaExchange& exchange) {
  validate(o);
  // Vocabulary: specials, then bytes ordered by their byte-level code point.
  std::vector<std::string> token_bytes;
  for (const auto& s : o.special_tokens) token_bytes.push_back(s);
  std::array<int, 256> order{};
  for (int b = 0; b < 256; ++b) order[b] = b;
  std::sort(order.begin(), order.end(), [](int a, int b) {
    return byte_level::byte_to_codepoint(static_cast<std::uint8_t>(a)) <
           byte_level::byte_to_codepoint(static_cast<std::uint8_t>(b));
  });
  std::array<TokenId, 256> byte_id{};
  for (int b : order) {
    byte_id[b] = static_cast<TokenId>(token_bytes.size());
    token_bytes.push_back(std::string(1, static_cast<char>(b)));
  }
  StringMap<TokenId> bytes_to_id;
  for (TokenId id = static_cast<TokenId>(o.special_tokens.size()); id < token_bytes.size(); ++id)
    bytes_to_id.emplace(token_bytes[id], id);

  // Words, in whatever order the counts come: the merges depend only on the counts (every step
  // takes the best (count, pair) over all words), not on word order.
  // All words live in one arena (offset, length per word): the merge loop walks the words of a
  // pair in increasing index, so in increasing memory order.
  const std::size_t distinct = counter.distinct();
  std::vector<TokenId> arena;
  std::vector<std::uint64_t> word_offset;
  std::vector<std::uint32_t> word_length;
  std::vector<std::int64_t> freq;
  word_offset.reserve(distinct);
  word_length.reserve(distinct);
  freq.reserve(distinct);
  // pair_count: the global counts (this shard's words plus every other shard's, through the
  // exchange); where: this shard's words holding each pair.
  std::unordered_map<std::uint64_t, std::int64_t> pair_count;
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> where;
  pair_count.reserve(distinct * 2);
  where.reserve(distinct * 2);
  counter.for_each([&](std::string_view bytes, std::uint64_t count) {
    const auto w = static_cast<std::uint32_t>(freq.size());
    freq.push_back(static_cast<std::int64_t>(count));
    word_offset.push_back(arena.size());
    word_length.push_back(static_cast<std::uint32_t>(bytes.size()));
    for (char c : bytes) arena.push_back(byte_id[static_cast<unsigned char>(c)]);
    const TokenId* word = arena.data() + word_offset[w];
    for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
      const auto k = key(word[i], word[i + 1]);
      pair_count[k] += freq[w];
      auto& v = where[k];
      if (v.empty() || v.back() != w) v.push_back(w);
    }
  });
  std::vector<PairDelta> records;
  DeltaTable delta, summed;
  if (exchange) {  // the starting table: the sum of every shard's own counts
    records.reserve(pair_count.size());
    for (const auto& [k, c] : pair_count) records.push_back({k, c});
    pair_count.clear();
    exchange(records);
    for (const auto& r : records) pair_count[r.pair] += r.delta;
  }
  std::priority_queue<HeapEntry> heap;
  for (const auto& [k, c] : pair_count) heap.push({c, k});

  std::vector<Merge> merges;
  // Merges one pair in this shard's words, adding the count changes to `delta`. Returns whether
  // the merged token is a new id (its bytes were not in the vocabulary yet).
  auto merge_pair = [&](std::uint64_t pair) {
    const TokenId left = static_cast<TokenId>(pair >> 32), right = static_cast<TokenId>(pair);
    std::string merged_bytes = token_bytes[left] + token_bytes[right];
    TokenId merged;
    bool fresh = false;
    if (auto it = bytes_to_id.find(merged_bytes); it != bytes_to_id.end()) {
      merged = it->second;
    } else {
      merged = static_cast<TokenId>(token_bytes.size());
      bytes_to_id.emplace(merged_bytes, merged);
      token_bytes.push_back(std::move(merged_bytes));
      fresh = true;
    }
    merges.push_back({left, right, merged});

    std::vector<std::uint32_t> positions;
    if (auto it = where.find(pair); it != where.end()) {
      positions = std::move(it->second);
      where.erase(it);
    }
    std::sort(positions.begin(), positions.end());
    positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
    for (const std::uint32_t w : positions) {
      TokenId* s = arena.data() + word_offset[w];
      std::uint32_t& len = word_length[w];
      const std::int64_t f = freq[w];
      for (std::size_t i = 0; i + 1 < len;) {
        if (s[i] != left || s[i + 1] != right) {
          ++i;
          continue;
        }
        if (i > 0) {
          delta.add(key(s[i - 1], left), -f);
          delta.add(key(s[i - 1], merged), f);
          auto& v = where[key(s[i - 1], merged)];
          if (v.empty() || v.back() != w) v.push_back(w);
        }
        if (i + 2 < len) {
          delta.add(key(right, s[i + 2]), -f);
          delta.add(key(merged, s[i + 2]), f);
          auto& v = where[key(merged, s[i + 2])];
          if (v.empty() || v.back() != w) v.push_back(w);
        }
        s[i] = merged;
        std::memmove(s + i + 1, s + i + 2, (len - i - 2) * sizeof(TokenId));
        --len;
        ++i;
      }
    }
    // The merged pair leaves the table: its global count drops to 0.
    pair_count.erase(pair);
    return fresh;
  };
  // The queue's best entry whose count is current, or null. Only count increases push an entry;
  // a pair whose count fell keeps its older, higher entries, so every pair in the table has an
  // entry at or above its count. An entry above the count is replaced by the current one when it
  // comes up, an entry below it (an exact one was pushed) is dropped, as are merged pairs'.
  auto best_current = [&]() -> const HeapEntry* {
    while (!heap.empty()) {
      const HeapEntry e = heap.top();
      const auto pc = pair_count.find(e.pair);
      if (pc != pair_count.end() && pc->second == e.count) return &heap.top();
      heap.pop();
      if (pc != pair_count.end() && pc->second < e.count && pc->second > 0) heap.push({pc->second, e.pair});
    }
    return nullptr;
  };

  // A round merges one pair or, between shards, a batch of pairs that one process would merge in
  // the same order, with one exchange for the batch. Merging (a, b) changes only the counts of
  // pairs whose right token is a or whose left token is b (and of pairs holding the new token).
  // After merging p1..pj, the next best entry (l, r) of the table as it stood at the round's start
  // is also the next merge of one process when l is no right token and r no left token of
  // p1..pj, l != r, and every pj made a new id; docs/tokenizer.md gives the proof.
  constexpr std::size_t kMaxBatch = 256;
  std::vector<std::uint64_t> batch;
  std::vector<TokenId> lefts, rights;
  auto holds = [](const std::vector<TokenId>& v, TokenId t) { return std::find(v.begin(), v.end(), t) != v.end(); };
  const auto first_merge = static_cast<std::int64_t>(token_bytes.size());
  Progress progress("tokenizer: merging", "tokens", static_cast<std::int64_t>(o.vocab_size) - first_merge);
  while (token_bytes.size() < o.vocab_size) {
    progress.set(static_cast<std::int64_t>(token_bytes.size()) - first_merge);
    const HeapEntry* top = best_current();
    if (top == nullptr) break;
    if (top->count <= 0 || static_cast<std::uint64_t>(top->count) < o.min_frequency) break;
    batch.clear();
    lefts.clear();
    rights.clear();
    delta.clear();
    while (true) {
      const std::uint64_t pair = top->pair;
      heap.pop();
      const TokenId left = static_cast<TokenId>(pair >> 32), right = static_cast<TokenId>(pair);
      batch.push_back(pair);
      lefts.push_back(left);
      rights.push_back(right);
      const bool fresh = merge_pair(pair);
      if (!exchange || !fresh || left == right || batch.size() == kMaxBatch) break;
      if (token_bytes.size() >= o.vocab_size || (top = best_current()) == nullptr) break;
      if (top->count <= 0 || static_cast<std::uint64_t>(top->count) < o.min_frequency) break;
      const TokenId l = static_cast<TokenId>(top->pair >> 32), r = static_cast<TokenId>(top->pair);
      if (l == r || holds(rights, l) || holds(lefts, r)) break;
    }
    std::sort(batch.begin(), batch.end());
    auto in_batch = [&](std::uint64_t k) { return std::binary_search(batch.begin(), batch.end(), k); };
    // The other changes are summed over shards first, so that each changed pair enters the queue
    // once, with its count.
    const DeltaTable* changes = &delta;
    if (exchange) {
      records.clear();
      delta.for_each([&](std::uint64_t k, std::int64_t d) {
        if (d != 0 && !in_batch(k)) records.push_back({k, d});
      });
      exchange(records);
      summed.clear();
      for (const auto& r : records) summed.add(r.pair, r.delta);
      changes = &summed;
    }
    changes->for_each([&](std::uint64_t k, std::int64_t d) {
      if (d == 0 || in_batch(k)) return;
      auto& c = pair_count[k];
      c += d;
      if (d > 0 && c > 0) heap.push({c, k});
    });
  }

  // Build the tokenizer through the same path tokenizer.json takes.
  progress.set(static_cast<std::int64_t>(token_bytes.size()) - first_merge);
  Tokenizer tok;
  auto& impl = tok.impl();
  impl.source = "<trained tokenizer>";
  const std::size_t n = token_bytes.size();
  impl.id_text.resize(n);
  impl.id_bytes = token_bytes;
  impl.id_present.assign(n, true);
  impl.id_in_model.assign(n, true);
  for (std::size_t id = 0; id < n; ++id) {
    impl.id_text[id] = id < o.special_tokens.size() ? token_bytes[id] : byte_level::encode(token_bytes[id]);
    impl.text_to_id.emplace(impl.id_text[id], static_cast<TokenId>(id));
  }
  impl.model_vocab_entries = n;
  impl.merges.reserve(merges.size());
  for (std::size_t r = 0; r < merges.size(); ++r)
    impl.merges.insert(merges[r].left, merges[r].right, static_cast<std::uint32_t>(r), merges[r].merged);
  impl.merge_list = std::move(merges);
  for (std::size_t i = 0; i < o.special_tokens.size(); ++i)
    impl.added.push_back({o.special_tokens[i], static_cast<TokenId>(i), true, false, false, false, false});
  impl.normalization = Normalization::none;
  impl.normalizer_json = nullptr;
  impl.pre_tokenizer_json = pre_tokenizer_json_for_pattern(o.pattern);
  impl.pretokenizer = pretokenizer_for_pattern(o.pattern);
  impl.post_processor_json = byte_level_post_processor_json();
  impl.decoder_json = byte_level_decoder_json();
  impl.extra_model_fields = nlohmann::ordered_json::object();
  impl.finalize();
  return tok;
}

// ---- corpus reading --------------------------------------------------------------------------
namespace {

struct Source {
  std::string file;
  std::uint64_t size;
};

// Calls record(line, byte offset) for every line whose first byte lies in [begin, end) of the
// file, streaming in blocks. Lines keep their '\n'.
template <class F>
void for_each_line(const std::string& file, std::uint64_t begin, std::uint64_t end, F&& record) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail("cannot open corpus file {}; check [tokenizer] inputs", file);
  std::uint64_t pos = begin;
  if (begin > 0) {  // a line that started before begin belongs to the previous rank
    in.seekg(static_cast<std::streamoff>(begin - 1));
    char c = 0;
    in.get(c);
    if (c != '\n') {
      std::string skip;
      std::getline(in, skip);
      pos = begin + skip.size() + (in.eof() ? 0 : 1);
    }
  } else {
    in.seekg(0);
  }
  constexpr std::size_t kBlock = 1 << 22;
  std::string buffer;
  std::vector<char> block(kBlock);
  std::size_t start = 0;  // first unconsumed byte in buffer; buffer[0] is at file offset `pos`
  while (pos < end) {
    in.read(block.data(), kBlock);
    const std::size_t got = static_cast<std::size_t>(in.gcount());
    buffer.erase(0, start);
    start = 0;
    buffer.append(block.data(), got);
    std::size_t nl;
    while (pos < end && (nl = buffer.find('\n', start)) != std::string::npos) {
      record(std::string_view(buffer).substr(start, nl + 1 - start), pos);
      pos += nl + 1 - start;
      start = nl + 1;
    }
    if (got < kBlock) {  // end of file: a last line without '\n'
      if (pos < end && start < buffer.size()) record(std::string_view(buffer).substr(start), pos);
      break;
    }
  }
}

void count_record(PretokenCounter& counter, const CorpusOptions& c, std::string_view line, const std::string& file,
                  std::uint64_t offset) {
  if (c.format == "text") {
    counter.add_text(line);
    return;
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return;
  const std::string where = fmt::format("{} (record at byte {})", file, offset);
  if (c.format == "jsonl") {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      fail("{}: not valid JSON ({}); fix the record or use format = \"text\"", where, e.what());
    }
    if (!j.is_object() || !j.contains(c.text_field) || !j[c.text_field].is_string())
      fail("{}: no string field \"{}\"; set [tokenizer] text_field", where, c.text_field);
    counter.add_text(j[c.text_field].get_ref<const std::string&>());
  } else if (c.format == "sharegpt") {
    counter.add_text(render(conversation_from_sharegpt(line, where)).text);
  } else {
    fail("[tokenizer] format '{}' is not known; use text, jsonl or sharegpt", c.format);
  }
}

double thread_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// The merge phase's per-step exchange of count changes. Most steps change a few dozen pairs, so
// one all-gather of a fixed block (a record count and up to kInline records per rank) carries
// them; only steps where some rank has more add a variable all-gather of the rest. Waits are short
// (every rank is busy merging) but frequent: they poll and yield the core at each poll, so that on
// a shared or oversubscribed machine a waiting rank does not hold the core its peer needs.
class DeltaExchanger {
 public:
  static constexpr std::size_t kInline = 96;
  explicit DeltaExchanger(const dist::Communicator& comm)
      : comm_(comm), n_(comm.size()), block_(1 + 2 * kInline), all_(block_ * n_), sizes_(n_), displs_(n_) {}

  void exchange(std::vector<PairDelta>& records) {
    static_assert(sizeof(PairDelta) == 16);
    std::vector<std::uint64_t> mine(block_, 0);
    const std::size_t count = records.size(), inline_count = std::min(count, kInline);
    mine[0] = count;
    std::memcpy(mine.data() + 1, records.data(), inline_count * sizeof(PairDelta));
    comm_.allgather(mine, all_, dist::Wait::yielding);
    std::size_t rest = 0;
    for (int p = 0; p < n_; ++p) {
      const std::size_t c = all_[p * block_];
      displs_[p] = static_cast<int>(rest);
      sizes_[p] = static_cast<int>((c > kInline ? c - kInline : 0) * sizeof(PairDelta));
      rest += c > kInline ? c - kInline : 0;
    }
    std::vector<PairDelta> tail(rest);
    if (rest > 0) {
      for (int p = 0; p < n_; ++p) displs_[p] *= static_cast<int>(sizeof(PairDelta));
      if (rest * sizeof(PairDelta) > (1u << 31) - 1)
        fail("tokenizer merge: one step changed over 2 GiB of pair counts");
      comm_.allgatherv(std::as_bytes(std::span(records).subspan(inline_count)), std::as_writable_bytes(std::span(tail)),
                       sizes_, displs_, dist::Wait::yielding);
    }
    records.clear();
    for (int p = 0; p < n_; ++p) {
      const std::uint64_t* b = all_.data() + p * block_;
      const std::size_t c = std::min<std::size_t>(b[0], kInline);
      const auto* r = reinterpret_cast<const PairDelta*>(b + 1);
      records.insert(records.end(), r, r + c);
    }
    records.insert(records.end(), tail.begin(), tail.end());
  }

 private:
  const dist::Communicator& comm_;
  int n_;
  std::size_t block_;
  std::vector<std::uint64_t> all_;
  std::vector<int> sizes_, displs_;
};

}  // namespace

Tokenizer train_from_corpus(const CorpusOptions& corpus, const TrainerOptions& options, const dist::Communicator& comm,
                            TrainingReport* report) {
  validate(options);
  if (corpus.files.empty())
    fail("{}: no corpus files to train on; set [tokenizer] inputs or [data] inputs", options.where);
  const auto t0 = std::chrono::steady_clock::now();
  const double count_cpu0 = thread_cpu_seconds();
  std::vector<Source> sources;
  std::uint64_t total = 0;
  for (const auto& f : corpus.files) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(f, ec);
    if (ec) fail("cannot read corpus file {} ({}); check [tokenizer] inputs", f, ec.message());
    sources.push_back({f, size});
    total += size;
  }
  if (corpus.max_bytes > 0) total = std::min<std::uint64_t>(total, corpus.max_bytes);
  // This rank's byte range of the concatenated inputs.
  const std::uint64_t begin = total * static_cast<std::uint64_t>(comm.rank()) / comm.size();
  const std::uint64_t end = total * static_cast<std::uint64_t>(comm.rank() + 1) / comm.size();

  PretokenCounter counter(options);
  std::string error;
  try {
    std::uint64_t offset = 0;
    for (const auto& s : sources) {
      const std::uint64_t fb = std::max(begin, offset), fe = std::min(end, offset + s.size);
      if (fb < fe)
        for_each_line(s.file, fb - offset, fe - offset, [&](std::string_view line, std::uint64_t at) {
          count_record(counter, corpus, line, s.file, at);
        });
      offset += s.size;
    }
  } catch (const Error& e) {
    error = e.what();
  }
  // Waits around counting sleep between polls: a rank done early must not spin on the core a
  // slower rank's counting needs.
  if (comm.any(!error.empty(), dist::Wait::patient)) {
    if (!error.empty()) throw Error(error);
    fail("tokenizer training stopped: another rank failed reading the corpus (see its message)");
  }

  // Totals, and each distinct pre-token sent to the rank that owns it (shard_of), which sums them.
  const int n = comm.size();
  std::array<std::uint64_t, 4> stats{counter.bytes(), counter.records(), counter.invalid_bytes(), 0};
  std::optional<PretokenCounter> owned;
  if (n > 1) {
    comm.allreduce_sum(std::span(stats).first(3), dist::Wait::patient);
    std::string payload;
    std::vector<int> send_sizes(n), send_displs(n), recv_sizes(n), recv_displs(n);
    for (int p = 0; p < n; ++p) {
      const std::string part = counter.serialize_shard(static_cast<std::size_t>(p), static_cast<std::size_t>(n));
      if (part.size() > (1u << 31) - 1 || payload.size() + part.size() > (1u << 31) - 1)
        fail("pre-token counts on rank {} exceed 2 GiB; use fewer distinct pre-tokens (max_bytes)", comm.rank());
      send_displs[p] = static_cast<int>(payload.size());
      send_sizes[p] = static_cast<int>(part.size());
      payload += part;
    }
    comm.alltoall(send_sizes, recv_sizes, dist::Wait::patient);
    std::size_t sum = 0;
    for (int p = 0; p < n; ++p) recv_displs[p] = static_cast<int>(sum), sum += recv_sizes[p];
    if (sum > (1u << 31) - 1)
      fail("pre-token counts owned by rank {} exceed 2 GiB; use fewer distinct pre-tokens (max_bytes)", comm.rank());
    std::string all(sum, '\0');
    comm.alltoallv(payload, send_sizes, send_displs, all, recv_sizes, recv_displs, dist::Wait::patient);
    counter = PretokenCounter(options);  // frees this rank's full counts
    payload = std::string();
    owned.emplace(options);
    for (int p = 0; p < n; ++p) owned->add_serialized(std::string_view(all).substr(recv_displs[p], recv_sizes[p]));
    std::uint64_t distinct = owned->distinct();
    comm.allreduce_sum(std::span(&distinct, 1), dist::Wait::patient);
    stats[3] = distinct;
  } else {
    stats[3] = counter.distinct();
  }
  const auto t1 = std::chrono::steady_clock::now();
  const double count_cpu = thread_cpu_seconds() - count_cpu0;
  // Every rank merges its own words and ends with the same tokenizer: no broadcast.
  double exchange_seconds = 0, exchange_cpu = 0;
  std::uint64_t exchanges = 0;
  const double merge_cpu0 = thread_cpu_seconds();
  Tokenizer tok;
  if (n > 1) {
    DeltaExchanger exchanger(comm);
    tok = train_shard(*owned, options, [&](std::vector<PairDelta>& records) {
      const auto e0 = std::chrono::steady_clock::now();
      const double c0 = thread_cpu_seconds();
      exchanger.exchange(records);
      exchange_cpu += thread_cpu_seconds() - c0;
      ++exchanges;
      exchange_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - e0).count();
    });
  } else {
    tok = train(counter, options);
  }
  const auto t2 = std::chrono::steady_clock::now();
  // CPU time of this rank's merging outside the exchanges, and the largest over ranks: what the
  // merge phase costs on cores nobody else uses, less the exchange latency.
  std::array<double, 2> cpu{thread_cpu_seconds() - merge_cpu0 - exchange_cpu, count_cpu};
  if (n > 1) comm.allreduce_max(cpu);
  if (report) {
    report->merge_cpu_seconds = cpu[0];
    report->count_cpu_seconds = cpu[1];
    report->bytes = stats[0];
    report->records = stats[1];
    report->invalid_bytes = stats[2];
    report->distinct_pretokens = stats[3];
    report->merges = tok.impl().merge_list.size();
    report->count_seconds = std::chrono::duration<double>(t1 - t0).count();
    report->merge_seconds = std::chrono::duration<double>(t2 - t1).count();
    report->exchange_seconds = exchange_seconds;
    report->exchanges = exchanges;
  }
  if (stats[2] > 0 && comm.is_root())
    log::warn("tokenizer corpus held {} bytes of invalid UTF-8; they were counted as single bytes", stats[2]);
  return tok;
}

}  // namespace hermes::tokenizer
