// Split pre-tokenizers with every HuggingFace behavior, inverted or not. The expected pieces are
// HuggingFace's documented examples ("the-final--countdown" split on "-") and hand-worked
// cases; a tokenizer.json using them (as GPT-4o's o200k file does: Removed + invert) loads.
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hermes/tokenizer/pretokenizer.hpp"
#include "hermes/tokenizer/tokenizer.hpp"

using namespace hermes::tokenizer;

namespace {

std::vector<std::string> pieces(const std::string& regex, SplitBehavior behavior, bool invert,
                                const std::string& text) {
  PreTokenizerStep step;
  step.kind = PreTokenizerStep::Kind::split;
  step.regex = std::make_shared<const Regex>(regex);
  step.behavior = behavior;
  step.invert = invert;
  PreTokenizer pre({step});
  std::vector<std::string_view> out;
  std::deque<std::string> storage;
  pre.split(text, out, storage);
  return {out.begin(), out.end()};
}

using V = std::vector<std::string>;
const std::string kText = "the-final--countdown";

}  // namespace

TEST(TokenizerSplitBehaviors, HuggingFaceDocumentedExamples) {
  EXPECT_EQ(pieces("-", SplitBehavior::isolated, false, kText), (V{"the", "-", "final", "-", "-", "countdown"}));
  EXPECT_EQ(pieces("-", SplitBehavior::removed, false, kText), (V{"the", "final", "countdown"}));
  EXPECT_EQ(pieces("-", SplitBehavior::merged_with_previous, false, kText), (V{"the-", "final-", "-", "countdown"}));
  EXPECT_EQ(pieces("-", SplitBehavior::merged_with_next, false, kText), (V{"the", "-final", "-", "-countdown"}));
  EXPECT_EQ(pieces("-", SplitBehavior::contiguous, false, kText), (V{"the", "-", "final", "--", "countdown"}));
}

TEST(TokenizerSplitBehaviors, InvertMakesTheGapsTheDelimiters) {
  // o200k's way: the pattern matches the pieces; whatever it skips is removed.
  EXPECT_EQ(pieces("\\w+", SplitBehavior::removed, true, "hi, there!"), (V{"hi", "there"}));
  EXPECT_EQ(pieces("\\w+", SplitBehavior::removed, false, "hi, there!"), (V{", ", "!"}));
  EXPECT_EQ(pieces("\\w+", SplitBehavior::isolated, true, "hi, there!"), (V{"hi", ", ", "there", "!"}));
  EXPECT_EQ(pieces("\\w+", SplitBehavior::merged_with_previous, true, "hi, there!"), (V{"hi, ", "there!"}));
  EXPECT_EQ(pieces("\\w+", SplitBehavior::merged_with_next, true, "hi, there!"), (V{"hi", ", there", "!"}));
}

TEST(TokenizerSplitBehaviors, NamesRoundTrip) {
  for (auto b : {SplitBehavior::isolated, SplitBehavior::removed, SplitBehavior::merged_with_previous,
                 SplitBehavior::merged_with_next, SplitBehavior::contiguous}) {
    SplitBehavior back = SplitBehavior::isolated;
    ASSERT_TRUE(parse_split_behavior(split_behavior_name(b), back));
    EXPECT_EQ(back, b);
  }
  SplitBehavior unused;
  EXPECT_FALSE(parse_split_behavior("isolated", unused));  // HuggingFace's names are case-sensitive
}

TEST(TokenizerSplitBehaviors, ATokenizerWithRemovedAndInvertLoadsAndEncodes) {
  // Bytes only (no merges); spaces are dropped by the inverted Removed split before ByteLevel.
  nlohmann::json vocab = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) {
    // GPT-2's byte-to-unicode table: printable Latin-1 maps to itself, the rest to 256 + n.
    static int shifted = 0;
    const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
    const int cp = printable ? b : 256 + shifted++;
    std::string s;
    if (cp < 0x80)
      s += static_cast<char>(cp);
    else
      s += static_cast<char>(0xC0 | (cp >> 6)), s += static_cast<char>(0x80 | (cp & 0x3F));
    vocab[s] = b;
  }
  nlohmann::json j = {
      {"version", "1.0"},
      {"added_tokens", nlohmann::json::array()},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"}, {"pattern", {{"Regex", "[a-z]+"}}}, {"behavior", "Removed"}, {"invert", true}},
          {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}}}}},
      {"post_processor", nullptr},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", nlohmann::json::array()}}}};
  const auto tok = Tokenizer::from_json_text(j.dump(), "o200k-like tokenizer.json");
  const auto ids = tok.encode("ab, cd!");
  EXPECT_EQ(ids, (std::vector<TokenId>{'a', 'b', 'c', 'd'}));  // ", " and "!" are removed
}
