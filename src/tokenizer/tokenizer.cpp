// Encoding and decoding: added tokens first, then normalization, pre-tokenization and BPE on
// each piece, with a per-thread cache of pieces already encoded.
#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <queue>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hermes/core/error.hpp"
#include "hermes/tokenizer/byte_level.hpp"
#include "impl.hpp"

namespace hermes::tokenizer {

// ---- PairMap ---------------------------------------------------------------------------------
void PairMap::reserve(std::size_t n) {
  std::size_t cap = 16;
  while (cap < n * 2) cap <<= 1;
  std::vector<Entry> old;
  old.swap(table_);
  table_.assign(cap, Entry{});
  mask_ = cap - 1;
  size_ = 0;
  for (const auto& e : old)
    if (e.key != ~0ULL) insert(static_cast<TokenId>(e.key >> 32), static_cast<TokenId>(e.key), e.rank, e.merged);
}

void PairMap::insert(TokenId a, TokenId b, std::uint32_t rank, TokenId merged) {
  if ((size_ + 1) * 2 > table_.size()) reserve(std::max<std::size_t>(16, (size_ + 1) * 2));
  const std::uint64_t key = (std::uint64_t(a) << 32) | b;
  std::size_t i = hash(key) & mask_;
  while (table_[i].key != ~0ULL) {
    if (table_[i].key == key) return;  // a repeated merge keeps its first (lowest) rank
    i = (i + 1) & mask_;
  }
  table_[i] = {key, rank, merged};
  ++size_;
}

// ---- added tokens ----------------------------------------------------------------------------
namespace {

// Unicode White_Space, as Rust's char::is_whitespace (HuggingFace's lstrip/rstrip).
std::size_t whitespace_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c == ' ' || (c >= '\t' && c <= '\r')) return 1;
  if (c < 0x80) return 0;
  const std::size_t len = utf8::sequence_length(s, i);
  if (len == 0) return 0;
  const char32_t cp = utf8::decode_at(s, i, len);
  const bool ws = cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
                  cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
  return ws ? len : 0;
}

// Start of the whitespace run that ends text[..end].
std::size_t trailing_whitespace_start(std::string_view s, std::size_t end) {
  std::size_t pos = end;
  while (pos > 0) {
    std::size_t b = pos - 1;
    while (b > 0 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80 && pos - b < 4) --b;
    if (whitespace_length(s, b) != pos - b) break;
    pos = b;
  }
  return pos;
}

// single_word's notion of a word character is Rust regex's Unicode \w (checked against HF):
// Alphabetic (letters, Nl), marks, decimal digits, connector punctuation, ZWNJ/ZWJ.
bool is_word_byte_at(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return std::isalnum(c) || c == '_';
  const std::size_t len = utf8::sequence_length(s, i);
  if (len == 0) return false;
  static const Regex word(R"([\p{L}\p{Nl}\p{M}\p{Nd}\p{Pc}\x{200C}\x{200D}])");
  return word.matches_at(s.substr(0, i + len), i);
}

}  // namespace

void AddedMatcher::build(const std::vector<AddedToken>& tokens, bool normalized) {
  tokens_.clear();
  for (auto& v : by_first_) v.clear();
  for (const auto& t : tokens)
    if (t.normalized == normalized && !t.content.empty()) tokens_.push_back(&t);
  for (std::uint32_t k = 0; k < tokens_.size(); ++k)
    by_first_[static_cast<unsigned char>(tokens_[k]->content[0])].push_back(k);
  for (auto& v : by_first_)
    std::stable_sort(v.begin(), v.end(),
                     [&](auto a, auto b) { return tokens_[a]->content.size() > tokens_[b]->content.size(); });
}

void AddedMatcher::split(std::string_view text, std::vector<Segment>& out) const {
  const std::size_t n = text.size();
  std::size_t emitted = 0, pos = 0;
  while (pos < n) {
    const auto& cands = by_first_[static_cast<unsigned char>(text[pos])];
    const AddedToken* hit = nullptr;
    for (auto k : cands) {
      const auto& c = tokens_[k]->content;
      if (c.size() <= n - pos && text.compare(pos, c.size(), c) == 0) {
        hit = tokens_[k];
        break;
      }
    }
    if (!hit) {
      ++pos;
      continue;
    }
    std::size_t start = pos, stop = pos + hit->content.size();
    pos = stop;
    if (hit->single_word) {
      std::size_t prev = start;
      if (prev > 0) {
        --prev;
        while (prev > 0 && (static_cast<unsigned char>(text[prev]) & 0xC0) == 0x80 && start - prev < 4) --prev;
      }
      const bool left_ok = start == 0 || !is_word_byte_at(text, prev);
      const bool right_ok = stop == n || !is_word_byte_at(text, stop);
      if (!left_ok || !right_ok) continue;
    }
    if (hit->lstrip) start = std::max(trailing_whitespace_start(text, start), emitted);
    if (hit->rstrip)
      while (stop < n) {
        const std::size_t w = whitespace_length(text, stop);
        if (w == 0) break;
        stop += w;
      }
    if (start > emitted) out.push_back({emitted, start, kNoToken});
    out.push_back({start, stop, hit->id});
    emitted = pos = stop;
  }
  if (emitted < n || out.empty()) out.push_back({emitted, n, kNoToken});
}

// ---- roles of a foreign tokenizer's specials ---------------------------------------------------
std::vector<std::pair<std::string, std::string>> pick_role_aliases(const std::vector<std::string>& added) {
  std::vector<std::pair<std::string, std::string>> aliases;
  auto has = [&](std::string_view name) { return std::find(added.begin(), added.end(), name) != added.end(); };
  if (!has("<|endoftext|>"))
    for (std::string_view end : kForeignEndOfText)
      if (has(end)) {
        aliases.emplace_back("<|endoftext|>", std::string(end));
        break;
      }
  const std::array<std::string_view, 4> openers = {"<|system|>", "<|user|>", "<|assistant|>", "<|tool|>"};
  if (std::none_of(openers.begin(), openers.end(), has)) {
    std::array<std::string, 4> own;
    for (std::size_t i = 0; i < own.size(); ++i) own[i] = fmt::format("<|reserved_special_token_{}|>", i);
    if (std::all_of(own.begin(), own.end(), has))
      for (std::size_t i = 0; i < own.size(); ++i) aliases.emplace_back(std::string(openers[i]), own[i]);
  }
  return aliases;
}

void Tokenizer::Impl::pick_role_aliases() {
  std::vector<std::string> names;
  for (const auto& a : added) names.push_back(a.content);
  role_aliases = tokenizer::pick_role_aliases(names);
  alias_tokens.clear();
  for (const auto& [hermes_name, own] : role_aliases)
    for (const auto& a : added)
      if (a.content == own) {
        alias_tokens.push_back({hermes_name, a.id, true, false, false, false, false});
        break;
      }
}

// ---- BPE -------------------------------------------------------------------------------------
namespace {
std::vector<TokenId>& bpe_symbols() {
  thread_local std::vector<TokenId> symbols;
  return symbols;
}
}  // namespace

void Tokenizer::Impl::finalize() {
  model_bytes_to_id.clear();
  // Byte tokens come from the model's vocabulary only: an added token "a" must not replace them.
  byte_id.fill(kNoToken);
  for (std::size_t id = 0; id < id_text.size(); ++id) {
    if (!id_present[id] || id >= id_in_model.size() || !id_in_model[id]) continue;
    model_bytes_to_id.get_or_insert(id_bytes[id], static_cast<TokenId>(id));
    if (id_bytes[id].size() == 1 && byte_id[static_cast<unsigned char>(id_bytes[id][0])] == kNoToken)
      byte_id[static_cast<unsigned char>(id_bytes[id][0])] = static_cast<TokenId>(id);
  }
  raw_matcher.build(added, false);
  normalized_matcher.build(added, true);
  pick_role_aliases();
  static std::atomic<std::uint64_t> next_serial{1};
  serial = next_serial++;
}

void Tokenizer::Impl::bpe(std::string_view piece, std::vector<TokenId>& out) const {
  // Symbols and the rank of the pair each forms with its right neighbour; merge the lowest rank,
  // leftmost first, until no pair merges (HuggingFace's order).
  constexpr std::uint32_t kNone = 0xFFFFFFFFu;
  auto& sym = bpe_symbols();
  thread_local std::vector<std::uint32_t> rank;
  thread_local std::vector<TokenId> merged;
  sym.clear();
  for (char c : piece) {
    const TokenId id = byte_id[static_cast<unsigned char>(c)];
    if (id != kNoToken) sym.push_back(id);  // a byte missing from the vocabulary is dropped, as HF does
  }
  std::size_t n = sym.size();
  if (n < 2) {
    out.insert(out.end(), sym.begin(), sym.end());
    return;
  }
  if (n > 96) {  // long pieces: a heap keeps the merge loop O(n log n)
    bpe_long(out);
    return;
  }
  rank.resize(n);
  merged.resize(n);
  auto look = [&](std::size_t i) {
    const auto* e = merges.find(sym[i], sym[i + 1]);
    rank[i] = e ? e->rank : kNone;
    merged[i] = e ? e->merged : 0;
  };
  for (std::size_t i = 0; i + 1 < n; ++i) look(i);
  rank[n - 1] = kNone;
  while (n > 1) {
    std::size_t best = 0;
    std::uint32_t best_rank = kNone;
    for (std::size_t i = 0; i + 1 < n; ++i)
      if (rank[i] < best_rank) best_rank = rank[i], best = i;
    if (best_rank == kNone) break;
    sym[best] = merged[best];
    sym.erase(sym.begin() + best + 1);
    rank.erase(rank.begin() + best + 1);
    merged.erase(merged.begin() + best + 1);
    --n;
    if (best + 1 < n)
      look(best);
    else
      rank[best] = kNone;
    if (best > 0) look(best - 1);
  }
  out.insert(out.end(), sym.begin(), sym.begin() + n);
}

// Symbols in a doubly linked list; candidate merges in a min-heap of (rank, position), checked
// against the list when popped (stale entries are skipped). Same order as the short path:
// lowest rank first, leftmost among equals.
void Tokenizer::Impl::bpe_long(std::vector<TokenId>& out) const {
  auto& s = bpe_symbols();
  const std::size_t n = s.size();
  std::vector<std::int64_t> prev(n), next(n);
  std::vector<bool> alive(n, true);
  for (std::size_t i = 0; i < n; ++i)
    prev[i] = static_cast<std::int64_t>(i) - 1, next[i] = i + 1 < n ? static_cast<std::int64_t>(i) + 1 : -1;
  struct Cand {
    std::uint32_t rank;
    std::uint32_t pos;
    TokenId left, right, merged;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
  auto push = [&](std::int64_t i) {
    if (i < 0 || next[i] < 0) return;
    if (const auto* e = merges.find(s[i], s[next[i]]))
      heap.push({e->rank, static_cast<std::uint32_t>(i), s[i], s[next[i]], e->merged});
  };
  for (std::size_t i = 0; i + 1 < n; ++i) push(static_cast<std::int64_t>(i));
  while (!heap.empty()) {
    const Cand c = heap.top();
    heap.pop();
    const std::int64_t i = c.pos;
    if (!alive[i] || next[i] < 0 || s[i] != c.left || s[next[i]] != c.right) continue;  // stale
    const std::int64_t j = next[i];
    s[i] = c.merged;
    alive[j] = false;
    next[i] = next[j];
    if (next[j] >= 0) prev[next[j]] = i;
    push(prev[i]);
    push(i);
  }
  for (std::int64_t i = 0; i >= 0; i = next[i]) out.push_back(s[i]);
}

namespace {

struct PieceCache {
  std::uint64_t owner = 0;
  FlatStringMap<std::pair<std::uint32_t, std::uint32_t>> map;  // piece -> (offset, count) in pool
  std::vector<TokenId> pool;
};

}  // namespace

void Tokenizer::Impl::encode_piece(std::string_view piece, std::vector<TokenId>& out) const {
  if (piece.size() == 1) {
    const TokenId id = byte_id[static_cast<unsigned char>(piece[0])];
    if (id != kNoToken) out.push_back(id);
    return;
  }
  if (ignore_merges) {
    if (const TokenId* id = model_bytes_to_id.find(piece)) {
      out.push_back(*id);
      return;
    }
  }
  thread_local PieceCache cache;
  if (cache.owner != serial || cache.map.size() > (1u << 20)) {
    cache.map.clear();
    cache.pool.clear();
    cache.owner = serial;
  }
  if (const auto* hit = cache.map.find(piece)) {
    const auto [off, cnt] = *hit;
    out.insert(out.end(), cache.pool.begin() + off, cache.pool.begin() + off + cnt);
    return;
  }
  const std::size_t before = out.size();
  bpe(piece, out);
  if (piece.size() <= 256) {
    const auto off = static_cast<std::uint32_t>(cache.pool.size());
    cache.pool.insert(cache.pool.end(), out.begin() + before, out.end());
    cache.map.get_or_insert(piece, std::make_pair(off, static_cast<std::uint32_t>(out.size() - before)));
  }
}

void Tokenizer::Impl::encode_into(std::string_view text, std::vector<TokenId>& out) const {
  walk(
      text, [&](std::string_view p) { encode_piece(p, out); }, [&](TokenId id) { out.push_back(id); });
}

// ---- public API ------------------------------------------------------------------------------
Tokenizer::Tokenizer() : impl_(std::make_unique<Impl>()) {}
Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::Tokenizer(const Tokenizer& o) : impl_(std::make_unique<Impl>(*o.impl_)) {}
Tokenizer& Tokenizer::operator=(const Tokenizer& o) {
  if (this != &o) impl_ = std::make_unique<Impl>(*o.impl_);
  return *this;
}

std::vector<TokenId> Tokenizer::encode(std::string_view text) const {
  std::vector<TokenId> out;
  out.reserve(text.size() / 3 + 4);
  impl_->encode_into(text, out);
  return out;
}

std::vector<std::vector<TokenId>> Tokenizer::encode_batch(const std::vector<std::string>& texts) const {
  std::vector<std::vector<TokenId>> out(texts.size());
  std::size_t bytes = 0;
  for (const auto& t : texts) bytes += t.size();
  const std::size_t threads =
      std::min<std::size_t>({std::max(1u, std::thread::hardware_concurrency()), texts.size(), 1 + bytes / (1 << 16)});
  if (threads <= 1) {
    for (std::size_t i = 0; i < texts.size(); ++i) out[i] = encode(texts[i]);
    return out;
  }
  std::atomic<std::size_t> next{0};
  std::vector<std::exception_ptr> errors(threads);
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      try {
        for (std::size_t i; (i = next++) < texts.size();) out[i] = encode(texts[i]);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  return out;
}

std::string Tokenizer::decode(const std::vector<TokenId>& ids) const {
  std::string out;
  for (TokenId id : ids) {
    if (id >= impl_->id_bytes.size() || !impl_->id_present[id])
      fail("token id {} is not in the vocabulary of {} (size {}); the ids come from another tokenizer", id,
           impl_->source, vocab_size());
    out += impl_->id_bytes[id];
  }
  return out;
}

std::size_t Tokenizer::vocab_size() const { return impl_->id_text.size(); }

std::optional<TokenId> Tokenizer::token_to_id(std::string_view token) const {
  if (auto it = impl_->text_to_id.find(token); it != impl_->text_to_id.end()) return it->second;
  return std::nullopt;
}

std::string Tokenizer::id_to_token(TokenId id) const {
  if (id >= impl_->id_text.size() || !impl_->id_present[id])
    fail("token id {} is not in the vocabulary of {} (size {})", id, impl_->source, vocab_size());
  return impl_->id_text[id];
}

TokenId Tokenizer::special_id(std::string_view token) const {
  for (const auto& a : impl_->added)
    if (a.content == token) return a.id;
  for (const auto& a : impl_->alias_tokens)
    if (a.content == token) return a.id;
  fail(
      "tokenizer {} has no special token '{}' and none of its own plays that role (end of text: {}; turn "
      "openers: <|reserved_special_token_0..3|>); train a tokenizer with the tokenizer stage, which adds "
      "hermes's special tokens",
      impl_->source, token, fmt::join(kForeignEndOfText, ", "));
}

std::string describe_role_aliases(const Tokenizer& tokenizer) {
  std::string out;
  for (const auto& [name, own] : tokenizer.role_aliases())
    out += fmt::format("{}{} plays {}", out.empty() ? "" : ", ", own, name);
  return out;
}

const std::vector<std::pair<std::string, std::string>>& Tokenizer::role_aliases() const { return impl_->role_aliases; }

std::vector<TokenId> Tokenizer::encode_chat(std::string_view text) const {
  const auto& aliases = impl_->alias_tokens;
  if (aliases.empty()) return encode(text);
  std::vector<TokenId> out;
  std::size_t done = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    const AddedToken* hit = nullptr;
    if (text[pos] == '<')
      for (const auto& a : aliases)
        if (text.compare(pos, a.content.size(), a.content) == 0) hit = &a;
    if (!hit) {
      ++pos;
      continue;
    }
    if (pos > done) impl_->encode_into(text.substr(done, pos - done), out);
    out.push_back(hit->id);
    done = pos = pos + hit->content.size();
  }
  if (done < text.size()) impl_->encode_into(text.substr(done), out);
  return out;
}

std::string Tokenizer::fingerprint() const {
  std::uint64_t h1 = 1469598103934665603ULL, h2 = 0x9E3779B97F4A7C15ULL;
  auto feed = [&](std::string_view s) {
    for (unsigned char c : s) {
      h1 = (h1 ^ c) * 1099511628211ULL;
      h2 = (h2 ^ c) * 0x100000001B3ULL + 0x2545F4914F6CDD1DULL;
    }
    h1 = (h1 ^ 0xFF) * 1099511628211ULL;
    h2 = (h2 ^ 0xFF) * 0x100000001B3ULL;
  };
  feed("hermes-tokenizer-v1");
  for (std::size_t id = 0; id < impl_->id_text.size(); ++id)
    if (impl_->id_present[id]) feed(fmt::format("{}:{}", id, impl_->id_text[id]));
  for (const auto& m : impl_->merge_list) feed(fmt::format("{} {} {}", m.left, m.right, m.merged));
  for (const auto& a : impl_->added)
    feed(fmt::format("{}:{}:{}{}{}{}{}", a.id, a.content, a.special, a.single_word, a.lstrip, a.rstrip, a.normalized));
  // Key order differs between files that mean the same thing: hash the sorted form.
  feed(nlohmann::json::parse(impl_->normalizer_json.dump()).dump());
  feed(nlohmann::json::parse(impl_->pre_tokenizer_json.dump()).dump());
  feed(impl_->ignore_merges ? "ignore_merges" : "merges");
  return fmt::format("{:016x}{:016x}", h1, h2);
}

}  // namespace hermes::tokenizer
