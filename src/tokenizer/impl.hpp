#pragma once
// The tokenizer's insides, shared by encode/decode, tokenizer.json I/O and the trainer.
#include <array>
#include <cstring>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "hermes/tokenizer/pretokenizer.hpp"
#include "hermes/tokenizer/tokenizer.hpp"

namespace hermes::tokenizer {

inline constexpr TokenId kNoToken = 0xFFFFFFFFu;

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    // 8 bytes per step, multiply-xorshift mixing: short keys, no allocation.
    std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ (s.size() * 0xff51afd7ed558ccdULL);
    const char* p = s.data();
    std::size_t n = s.size();
    while (n >= 8) {
      std::uint64_t w;
      __builtin_memcpy(&w, p, 8);
      h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
      h ^= h >> 31;
      p += 8;
      n -= 8;
    }
    std::uint64_t w = 0;
    __builtin_memcpy(&w, p, n);
    h = (h ^ w) * 0x94d049bb133111ebULL;
    h ^= h >> 29;
    return static_cast<std::size_t>(h);
  }
};
template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// String -> value, open addressing over one key arena: no node per key, usually one probe, keys
// compared only when the full 64-bit hashes agree. The hot lookups (piece cache, whole-piece
// vocabulary hits, pre-token counts) all go through it.
template <class V>
class FlatStringMap {
 public:
  FlatStringMap() { slots_.resize(16); }
  const V* find(std::string_view key) const {
    const std::uint64_t h = StringHash{}(key) | 1;
    for (std::size_t i = h & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      const Slot& s = slots_[i];
      if (s.hash == 0) return nullptr;
      if (s.hash == h && s.len == key.size() && std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0)
        return &s.value;
    }
  }
  V* find(std::string_view key) { return const_cast<V*>(static_cast<const FlatStringMap*>(this)->find(key)); }
  // The value for key, inserted as `init` when absent.
  V& get_or_insert(std::string_view key, const V& init) {
    const std::uint64_t h = StringHash{}(key) | 1;  // 0 marks an empty slot
    std::size_t i = h & (slots_.size() - 1);
    for (;; i = (i + 1) & (slots_.size() - 1)) {
      Slot& s = slots_[i];
      if (s.hash == 0) break;
      if (s.hash == h && s.len == key.size() && std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0)
        return s.value;
    }
    slots_[i] = {h, arena_.size(), static_cast<std::uint32_t>(key.size()), init};
    arena_.append(key);
    if (++size_ * 2 > slots_.size()) {
      grow();
      return *find(key);
    }
    return slots_[i].value;
  }
  std::size_t size() const { return size_; }
  void clear() {
    slots_.assign(16, Slot{});
    arena_.clear();
    size_ = 0;
  }
  template <class F>
  void for_each(F&& f) const {
    for (const auto& s : slots_)
      if (s.hash != 0) f(std::string_view(arena_.data() + s.offset, s.len), s.value);
  }

 private:
  struct Slot {
    std::uint64_t hash = 0, offset = 0;
    std::uint32_t len = 0;
    V value{};
  };
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const auto& s : old) {
      if (s.hash == 0) continue;
      std::size_t i = s.hash & (slots_.size() - 1);
      while (slots_[i].hash != 0) i = (i + 1) & (slots_.size() - 1);
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  std::string arena_;
  std::size_t size_ = 0;
};

// (left id, right id) -> (rank, merged id), open addressing: the merge loop's hot lookup.
class PairMap {
 public:
  struct Entry {
    std::uint64_t key = ~0ULL;
    std::uint32_t rank = 0;
    TokenId merged = 0;
  };
  void reserve(std::size_t n);
  void insert(TokenId a, TokenId b, std::uint32_t rank, TokenId merged);  // keeps the first
  const Entry* find(TokenId a, TokenId b) const {
    if (table_.empty()) return nullptr;
    const std::uint64_t key = (std::uint64_t(a) << 32) | b;
    std::size_t i = hash(key) & mask_;
    while (true) {
      const Entry& e = table_[i];
      if (e.key == key) return &e;
      if (e.key == ~0ULL) return nullptr;
      i = (i + 1) & mask_;
    }
  }
  std::size_t size() const { return size_; }

 private:
  static std::size_t hash(std::uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return static_cast<std::size_t>(k);
  }
  std::vector<Entry> table_;
  std::size_t mask_ = 0, size_ = 0;
};

struct AddedToken {
  std::string content;
  TokenId id = 0;
  bool special = true;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
};

// Leftmost-longest matching of added tokens (as HuggingFace's Aho-Corasick does), honouring
// single_word, lstrip and rstrip.
class AddedMatcher {
 public:
  void build(const std::vector<AddedToken>& tokens, bool normalized);
  bool empty() const { return tokens_.empty(); }
  struct Segment {
    std::size_t begin, end;
    TokenId id;  // kNoToken: plain text
  };
  void split(std::string_view text, std::vector<Segment>& out) const;

 private:
  std::vector<const AddedToken*> tokens_;
  std::array<std::vector<std::uint32_t>, 256> by_first_;  // token indices, longest first
};

struct Merge {
  TokenId left, right, merged;
};

struct Tokenizer::Impl {
  std::string source = "<memory>";  // the file it came from, for messages

  // Vocabulary: id -> token text as tokenizer.json spells it (byte-level for the model's vocab,
  // content for added tokens) and id -> the bytes it decodes to.
  std::vector<std::string> id_text;
  std::vector<std::string> id_bytes;
  std::vector<bool> id_present;
  std::vector<bool> id_in_model;  // listed in model.vocab (not only an added token)
  StringMap<TokenId> text_to_id;
  FlatStringMap<TokenId> model_bytes_to_id;  // the model's own vocab, by raw bytes
  std::size_t model_vocab_entries = 0;
  std::array<TokenId, 256> byte_id{};
  PairMap merges;
  std::vector<Merge> merge_list;  // in rank order
  bool ignore_merges = false;

  std::vector<AddedToken> added;
  AddedMatcher raw_matcher, normalized_matcher;
  // Tokenizer::role_aliases: hermes's special-token names and the ids of the tokens playing them.
  std::vector<std::pair<std::string, std::string>> role_aliases;
  std::vector<AddedToken> alias_tokens;  // the same as (hermes name, id), for encode_chat

  Normalization normalization = Normalization::none;
  PreTokenizer pretokenizer;

  // Components kept verbatim so that save() writes back what was loaded.
  nlohmann::ordered_json normalizer_json, pre_tokenizer_json, post_processor_json, decoder_json;
  nlohmann::ordered_json extra_model_fields = nlohmann::ordered_json::object();

  std::uint64_t serial = 0;  // identifies this instance for the per-thread piece cache

  // Rebuilds the lookups (byte ids, matchers, role aliases, serial) after the vocabulary changes.
  void finalize();
  void pick_role_aliases();
  // Splits text into added tokens and plain segments, normalizes and pre-tokenizes the plain
  // parts and calls piece(bytes) for each piece and token(id) for each added token, in order.
  template <class Piece, class Token>
  void walk(std::string_view text, Piece&& piece, Token&& token) const;
  void encode_into(std::string_view text, std::vector<TokenId>& out) const;
  void encode_piece(std::string_view piece, std::vector<TokenId>& out) const;
  void bpe(std::string_view piece, std::vector<TokenId>& out) const;
  void bpe_long(std::vector<TokenId>& out) const;
};

template <class Piece, class Token>
void Tokenizer::Impl::walk(std::string_view text, Piece&& piece, Token&& token) const {
  std::vector<AddedMatcher::Segment> outer, inner;
  std::vector<std::string_view> pieces;
  std::deque<std::string> storage;
  std::string normalized_buffer;
  raw_matcher.split(text, outer);
  for (const auto& seg : outer) {
    if (seg.id != kNoToken) {
      token(seg.id);
      continue;
    }
    const std::string_view plain =
        normalize(normalization, text.substr(seg.begin, seg.end - seg.begin), normalized_buffer);
    inner.clear();
    if (normalized_matcher.empty())
      inner.push_back({0, plain.size(), kNoToken});
    else
      normalized_matcher.split(plain, inner);
    for (const auto& in : inner) {
      if (in.id != kNoToken) {
        token(in.id);
        continue;
      }
      pieces.clear();
      storage.clear();
      pretokenizer.split(plain.substr(in.begin, in.end - in.begin), pieces, storage);
      for (std::string_view p : pieces) piece(p);
    }
  }
}

}  // namespace hermes::tokenizer

namespace hermes::tokenizer {

// tokenizer.json <-> Impl. `file` names the source in error messages.
void load_json(Tokenizer::Impl& impl, const nlohmann::json& root, const std::string& file);
std::string to_json_text(const Tokenizer::Impl& impl);
// The tokenizer.json components hermes writes for a trainer pattern (gpt2, llama3, qwen2, regex).
nlohmann::ordered_json pre_tokenizer_json_for_pattern(const std::string& pattern);
nlohmann::ordered_json byte_level_decoder_json();
nlohmann::ordered_json byte_level_post_processor_json();
// Builds a pre-tokenizer from its tokenizer.json description; `path` is its JSON path.
PreTokenizer pretokenizer_from_json(const nlohmann::json& j, const std::string& path, const std::string& file);

}  // namespace hermes::tokenizer
