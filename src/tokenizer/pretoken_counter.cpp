// Counting: pre-tokens of the corpus and how often each occurs, the input of the merges; and
// their serialized form, which carries each pre-token to the rank that owns it (shard_of).
#include <cstring>

#include "hermes/core/error.hpp"
#include "hermes/core/strings.hpp"
#include "hermes/tokenizer/byte_level.hpp"
#include "hermes/tokenizer/trainer.hpp"
#include "impl.hpp"

namespace hermes::tokenizer {

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

}  // namespace hermes::tokenizer
