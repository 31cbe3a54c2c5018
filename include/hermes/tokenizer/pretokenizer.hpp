#pragma once
// Pre-tokenization: the text between added tokens is cut into pieces that BPE encodes one by one.
// Supported, as in HuggingFace tokenizer.json: Split (a regex or string, every behavior:
// Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous; inverted or not), ByteLevel (with or without
// add_prefix_space, with or without its GPT-2 regex) and a Sequence of these. Regexes run through PCRE2 with UTF, UCP
// (Unicode \s \w \d) and JIT. Invalid UTF-8 never reaches the regex: each invalid byte becomes a piece of its own.
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hermes::tokenizer {

// The pre-tokenizer patterns of this family, by name.
inline constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
inline constexpr std::string_view kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
inline constexpr std::string_view kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// A compiled PCRE2 pattern (UTF + UCP, JIT when available). Thread-safe to use concurrently.
class Regex {
 public:
  explicit Regex(std::string pattern);  // throws hermes::Error with PCRE2's message and offset
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  const std::string& pattern() const { return pattern_; }
  // Appends the Isolated split of `text` (matches and the gaps between them, in order, none
  // empty) to `pieces`. `text` must be valid UTF-8.
  void split_isolated(std::string_view text, std::vector<std::string_view>& pieces) const;
  // Whether the pattern matches at exactly `pos` (anchored). `text` must be valid UTF-8 there.
  bool matches_at(std::string_view text, std::size_t pos) const;
  // Calls f(begin, end, is_match) for the gaps and matches of `text` in order, as HuggingFace's
  // Pattern::find_matches lists them (empty matches included, empty gaps not).
  template <class F>
  void each_segment(std::string_view text, F&& f) const;

 private:
  std::string pattern_;
  void* code_ = nullptr;  // pcre2_code_8*
  bool jit_ = false;
};

// What Split does with the pattern's matches (HuggingFace's SplitDelimiterBehavior).
enum class SplitBehavior { isolated, removed, merged_with_previous, merged_with_next, contiguous };

struct PreTokenizerStep {
  enum class Kind { split, byte_level };
  Kind kind = Kind::byte_level;
  std::shared_ptr<const Regex> regex;                // split: its pattern; byte_level: GPT-2's when use_regex
  bool add_prefix_space = false;                     // byte_level only
  SplitBehavior behavior = SplitBehavior::isolated;  // split only
  bool invert = false;                               // split only: the gaps are the delimiters, not the matches
};

// "Isolated", "Removed", ... -> the behavior; false for a name HuggingFace does not have.
bool parse_split_behavior(std::string_view name, SplitBehavior& out);
std::string_view split_behavior_name(SplitBehavior b);

class PreTokenizer {
 public:
  PreTokenizer() = default;
  explicit PreTokenizer(std::vector<PreTokenizerStep> steps) : steps_(std::move(steps)) {}
  // Cuts `text` into pieces. Pieces view `text` or strings kept in `storage` (prefix spaces).
  void split(std::string_view text, std::vector<std::string_view>& pieces, std::deque<std::string>& storage) const;
  const std::vector<PreTokenizerStep>& steps() const { return steps_; }

 private:
  std::vector<PreTokenizerStep> steps_;
};

// Builds the pre-tokenizer for a trainer pattern: "gpt2" (ByteLevel with its regex), "llama3",
// "qwen2", or any other text taken as a PCRE2 regex (Split + ByteLevel without regex).
PreTokenizer pretokenizer_for_pattern(const std::string& pattern);
// The shared compiled GPT-2 pattern that ByteLevel(use_regex=true) applies.
std::shared_ptr<const Regex> byte_level_regex();

// The normalizers of this family: none, or NFC (needs ICU at build time; without it NFC
// tokenizers are refused when loaded).
enum class Normalization { none, nfc };
bool nfc_available();
// Returns `text` normalized; the result views `text` when nothing changes, else `buffer`.
std::string_view normalize(Normalization n, std::string_view text, std::string& buffer);

}  // namespace hermes::tokenizer
