#define PCRE2_CODE_UNIT_WIDTH 8
#include "hermes/tokenizer/pretokenizer.hpp"

#include <algorithm>

#include <pcre2.h>

#include "hermes/core/error.hpp"
#include "hermes/tokenizer/byte_level.hpp"

namespace hermes::tokenizer {
namespace {

// Per-thread match data and JIT stack: sharing a compiled pattern across threads is allowed,
// sharing match data is not.
struct MatchScratch {
  pcre2_match_data* data = nullptr;
  pcre2_jit_stack* stack = nullptr;
  pcre2_match_context* context = nullptr;
  MatchScratch() {
    data = pcre2_match_data_create(1, nullptr);
    // Long whitespace runs under `\s+(?!\S)` backtrack deeply: give JIT room.
    stack = pcre2_jit_stack_create(32 * 1024, 64 * 1024 * 1024, nullptr);
    context = pcre2_match_context_create(nullptr);
    pcre2_jit_stack_assign(context, nullptr, stack);
  }
  ~MatchScratch() {
    pcre2_match_context_free(context);
    pcre2_jit_stack_free(stack);
    pcre2_match_data_free(data);
  }
};

MatchScratch& scratch() {
  thread_local MatchScratch s;
  return s;
}

// HuggingFace's regexes (Oniguruma, Rust) take \s as Unicode White_Space; PCRE2's UCP \s also
// matches U+180E MONGOLIAN VOWEL SEPARATOR (through \h). Spell the White_Space set out so both
// engines cut the same pieces: \s outside and inside classes, \S outside classes.
constexpr std::string_view kWhiteSpace =
    "\\t-\\r \\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}";

std::string hf_whitespace(const std::string& p) {
  std::string out;
  bool in_class = false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char e = p[i + 1];
      if (e == 's') {
        out += in_class ? std::string(kWhiteSpace) : "[" + std::string(kWhiteSpace) + "]";
      } else if (e == 'S' && !in_class) {
        out += "[^" + std::string(kWhiteSpace) + "]";
      } else {
        out += c;
        out += e;
      }
      ++i;
      continue;
    }
    if (c == '[' && !in_class) {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is literal.
      if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
      if (i + 1 < p.size() && p[i + 1] == ']') out += p[++i];
      continue;
    }
    if (c == ']' && in_class) in_class = false;
    out += c;
  }
  return out;
}

}  // namespace

Regex::Regex(std::string pattern) : pattern_(std::move(pattern)) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  const std::string compiled = hf_whitespace(pattern_);
  auto* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(compiled.data()), compiled.size(),
                             PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &error, &offset, nullptr);
  if (!code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof message);
    fail("pre-tokenizer regex '{}' does not compile at offset {}: {}; fix the pattern", pattern_, offset,
         reinterpret_cast<const char*>(message));
  }
  jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  code_ = code;
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

template <class F>
void Regex::each_segment(std::string_view text, F&& f) const {
  auto& s = scratch();
  auto* code = static_cast<pcre2_code*>(code_);
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  const std::size_t n = text.size();
  std::size_t pos = 0, emitted = 0;
  while (pos < n) {
    int rc = jit_ ? pcre2_jit_match(code, subject, n, pos, 0, s.data, s.context)
                  : pcre2_match(code, subject, n, pos, PCRE2_NO_UTF_CHECK, s.data, s.context);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT)  // pathological input: the interpreter uses the heap
      rc = pcre2_match(code, subject, n, pos, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, s.data, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(rc, message, sizeof message);
      fail("pre-tokenizer regex '{}' failed at byte {}: {}", pattern_, pos, reinterpret_cast<const char*>(message));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(s.data);
    const std::size_t b = ov[0], e = ov[1];
    if (b > emitted) f(emitted, b, false);
    f(b, e, true);
    emitted = e;
    // After an empty match the search steps one character on.
    pos = e == b ? b + std::max<std::size_t>(1, utf8::sequence_length(text, b)) : e;
  }
  if (emitted < n) f(emitted, n, false);
}

void Regex::split_isolated(std::string_view text, std::vector<std::string_view>& pieces) const {
  each_segment(text, [&](std::size_t b, std::size_t e, bool) {
    if (e > b) pieces.push_back(text.substr(b, e - b));
  });
}

bool Regex::matches_at(std::string_view text, std::size_t pos) const {
  auto& s = scratch();
  const int rc = pcre2_match(static_cast<pcre2_code*>(code_), reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(),
                             pos, PCRE2_ANCHORED | PCRE2_NO_UTF_CHECK, s.data, s.context);
  return rc >= 0;
}

namespace {

const std::shared_ptr<const Regex>& gpt2_regex() {
  static const auto r = std::make_shared<const Regex>(std::string(kGpt2Pattern));
  return r;
}

// Applies one regex to valid UTF-8 runs; invalid bytes become single-byte pieces.
void split_bytes_aware(const Regex& regex, std::string_view text, std::vector<std::string_view>& out) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t valid = utf8::valid_prefix(text.substr(pos));
    if (valid > 0) regex.split_isolated(text.substr(pos, valid), out);
    pos += valid;
    if (pos < text.size()) {
      out.push_back(text.substr(pos, 1));
      ++pos;
    }
  }
}

struct Segment {
  std::size_t begin, end;
  bool match;
};

// Split with a behavior other than plain Isolated: HuggingFace's rules, on the segments of the
// whole piece (an invalid UTF-8 byte, which never reaches the regex, is a gap of its own).
void split_with_behavior(const PreTokenizerStep& step, std::string_view text, std::vector<std::string_view>& out) {
  std::vector<Segment> seg;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t valid = utf8::valid_prefix(text.substr(pos));
    if (valid > 0)
      step.regex->each_segment(text.substr(pos, valid), [&](std::size_t b, std::size_t e, bool m) {
        seg.push_back({pos + b, pos + e, m != step.invert});
      });
    pos += valid;
    if (pos < text.size()) seg.push_back({pos, pos + 1, step.invert}), ++pos;
  }
  std::vector<Segment> kept;
  bool previous_match = false;
  switch (step.behavior) {
    case SplitBehavior::isolated: kept.swap(seg); break;
    case SplitBehavior::removed:
      for (const auto& g : seg)
        if (!g.match) kept.push_back(g);
      break;
    case SplitBehavior::merged_with_previous:  // a delimiter joins the piece before it
      for (const auto& g : seg) {
        if (g.match && !previous_match && !kept.empty())
          kept.back().end = g.end;
        else
          kept.push_back(g);
        previous_match = g.match;
      }
      break;
    case SplitBehavior::merged_with_next:  // a delimiter joins the piece after it
      for (auto it = seg.rbegin(); it != seg.rend(); ++it) {
        if (it->match && !previous_match && !kept.empty())
          kept.back().begin = it->begin;
        else
          kept.push_back(*it);
        previous_match = it->match;
      }
      kept = std::vector<Segment>(kept.rbegin(), kept.rend());
      break;
    case SplitBehavior::contiguous:  // runs of delimiters become one piece
      for (const auto& g : seg) {
        if (g.match == previous_match && !kept.empty())
          kept.back().end = g.end;
        else
          kept.push_back(g);
        previous_match = g.match;
      }
      break;
  }
  for (const auto& g : kept)
    if (g.end > g.begin) out.push_back(text.substr(g.begin, g.end - g.begin));
}

}  // namespace

bool parse_split_behavior(std::string_view name, SplitBehavior& out) {
  for (auto b : {SplitBehavior::isolated, SplitBehavior::removed, SplitBehavior::merged_with_previous,
                 SplitBehavior::merged_with_next, SplitBehavior::contiguous})
    if (split_behavior_name(b) == name) return out = b, true;
  return false;
}

std::string_view split_behavior_name(SplitBehavior b) {
  switch (b) {
    case SplitBehavior::isolated: return "Isolated";
    case SplitBehavior::removed: return "Removed";
    case SplitBehavior::merged_with_previous: return "MergedWithPrevious";
    case SplitBehavior::merged_with_next: return "MergedWithNext";
    case SplitBehavior::contiguous: return "Contiguous";
  }
  return "Isolated";
}

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>& pieces,
                         std::deque<std::string>& storage) const {
  if (text.empty()) return;
  // The common cases (one step) go straight into `pieces`.
  std::vector<std::string_view> current{text}, next;
  for (std::size_t k = 0; k < steps_.size(); ++k) {
    const auto& step = steps_[k];
    const bool last = k + 1 == steps_.size();
    auto& out = last ? pieces : next;
    for (std::string_view piece : current) {
      if (step.kind == PreTokenizerStep::Kind::byte_level && step.add_prefix_space && piece.front() != ' ') {
        storage.push_back(std::string(" ").append(piece));
        piece = storage.back();
      }
      if (step.regex && step.kind == PreTokenizerStep::Kind::split &&
          (step.behavior != SplitBehavior::isolated || step.invert))
        split_with_behavior(step, piece, out);
      else if (step.regex)
        split_bytes_aware(*step.regex, piece, out);
      else
        out.push_back(piece);
    }
    if (!last) {
      current.swap(next);
      next.clear();
    }
  }
  if (steps_.empty()) pieces.push_back(text);
}

PreTokenizer pretokenizer_for_pattern(const std::string& pattern) {
  if (pattern == "gpt2") {
    return PreTokenizer({{PreTokenizerStep::Kind::byte_level, gpt2_regex(), false}});
  }
  std::string regex = pattern;
  if (pattern == "llama3") regex = std::string(kLlama3Pattern);
  if (pattern == "qwen2") regex = std::string(kQwen2Pattern);
  return PreTokenizer({{PreTokenizerStep::Kind::split, std::make_shared<const Regex>(regex), false},
                       {PreTokenizerStep::Kind::byte_level, nullptr, false}});
}

std::shared_ptr<const Regex> byte_level_regex() { return gpt2_regex(); }

}  // namespace hermes::tokenizer
