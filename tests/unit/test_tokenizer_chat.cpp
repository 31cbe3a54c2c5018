// The chat template: exact rendering, assistant spans, per-token assistant mask.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "hermes/core/error.hpp"
#include "hermes/tokenizer/chat_template.hpp"
#include "hermes/tokenizer/tokenizer.hpp"

namespace fs = std::filesystem;
using namespace hermes::tokenizer;

namespace {

const fs::path kTok = fs::path(HERMES_SOURCE_DIR) / "tests/fixtures/tokenizer/hermes-trained/tokenizer.json";

Conversation sample() {
  Conversation c;
  c.messages = {{"system", "Be brief."},
                {"human", "Weather in Paris?"},
                {"gpt", "<tool_call>{\"name\": \"get_weather\"}</tool_call>"},
                {"tool", "{\"temp\": 21}"},
                {"gpt", "<think>easy</think>It is 21 degrees."}};
  c.tools_json = R"([{"name": "get_weather"}])";
  return c;
}

TEST(ChatTemplate, ExactRendering) {
  const auto r = render(sample());
  const std::string expected =
      "<|system|>Be brief.\n<tools>\n[{\"name\": \"get_weather\"}]\n</tools><|endoftext|>"
      "<|user|>Weather in Paris?<|endoftext|>"
      "<|assistant|><tool_call>{\"name\": \"get_weather\"}</tool_call><|endoftext|>"
      "<|tool|>{\"temp\": 21}<|endoftext|>"
      "<|assistant|><think>easy</think>It is 21 degrees.<|endoftext|>";
  EXPECT_EQ(r.text, expected);
  ASSERT_EQ(r.assistant_spans.size(), 2u);
  EXPECT_EQ(r.text.substr(r.assistant_spans[0].first, r.assistant_spans[0].second - r.assistant_spans[0].first),
            "<tool_call>{\"name\": \"get_weather\"}</tool_call><|endoftext|>");
  EXPECT_EQ(r.text.substr(r.assistant_spans[1].first), "<think>easy</think>It is 21 degrees.<|endoftext|>");
  EXPECT_EQ(render_generation_prompt(sample()), expected + "<|assistant|>");
}

TEST(ChatTemplate, ToolsWithoutSystemMessage) {
  Conversation c;
  c.messages = {{"user", "hi"}, {"assistant", "hello"}};
  c.tools_json = "[]";
  EXPECT_EQ(render(c).text,
            "<|system|><tools>\n[]\n</tools><|endoftext|><|user|>hi<|endoftext|><|assistant|>hello<|endoftext|>");
  c.tools_json.clear();
  EXPECT_EQ(render(c).text, "<|user|>hi<|endoftext|><|assistant|>hello<|endoftext|>");
  c.messages.push_back({"narrator", "x"});
  EXPECT_THROW(render(c), hermes::Error);
}

TEST(ChatTemplate, MaskFollowsSpansAndTokens) {
  const Tokenizer tok = Tokenizer::load(kTok);
  const auto conv = sample();
  const auto r = render(conv);
  const auto e = encode_conversation(tok, conv);
  ASSERT_EQ(e.ids.size(), e.assistant_mask.size());
  EXPECT_EQ(e.ids, tok.encode(r.text));  // block-wise encoding equals encoding the whole text
  // Each token's byte range, from decoding token by token, must lie wholly inside or outside
  // the assistant spans, and the mask must say which.
  std::size_t pos = 0, masked_bytes = 0;
  for (std::size_t i = 0; i < e.ids.size(); ++i) {
    const std::size_t len = tok.decode({e.ids[i]}).size();
    bool inside = false;
    for (auto [b, end] : r.assistant_spans) {
      const bool in = pos >= b && pos + len <= end;
      const bool overlaps = pos < end && pos + len > b;
      EXPECT_EQ(in, overlaps) << "token " << i << " straddles a span edge";
      inside |= in;
    }
    EXPECT_EQ(e.assistant_mask[i], inside ? 1 : 0) << "token " << i;
    if (e.assistant_mask[i]) masked_bytes += len;
    pos += len;
  }
  EXPECT_EQ(pos, r.text.size());
  std::size_t span_bytes = 0;
  for (auto [b, end] : r.assistant_spans) span_bytes += end - b;
  EXPECT_EQ(masked_bytes, span_bytes);
  // The special tokens are single ids.
  EXPECT_EQ(e.ids.front(), tok.special_id("<|system|>"));
  EXPECT_EQ(e.ids.back(), tok.special_id("<|endoftext|>"));
}

TEST(ChatTemplate, ShareGptRecords) {
  const auto c = conversation_from_sharegpt(
      R"({"conversations":[{"from":"human","value":"a"},{"from":"gpt","value":"b"}],"tools":[{"name":"f"}],"system":"S"})",
      "x.jsonl:3");
  ASSERT_EQ(c.messages.size(), 3u);
  EXPECT_EQ(c.messages[0].role, "system");
  EXPECT_EQ(c.tools_json, R"([{"name":"f"}])");
  try {
    conversation_from_sharegpt(R"({"conversations":[{"from":"alien","value":"a"}]})", "x.jsonl:7");
    FAIL();
  } catch (const hermes::Error& e) {
    EXPECT_NE(std::string(e.what()).find("x.jsonl:7"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("conversations[0]"), std::string::npos);
  }
  EXPECT_THROW(conversation_from_sharegpt("{\"text\": 1}", "x"), hermes::Error);
}

}  // namespace

// A foreign tokenizer without hermes's special tokens (Llama 3's names, made from the fixture by
// renaming its specials): its own tokens play the roles, encode() stays HuggingFace's, and
// encode_chat / encode_conversation / special_id use the tokens that play them.
namespace {
std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
std::string renamed(std::string text, const std::vector<std::pair<std::string, std::string>>& names) {
  for (const auto& [from, to] : names)
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to);
  return text;
}
const std::vector<std::pair<std::string, std::string>> kLlama3Names = {
    {"<|endoftext|>", "<|end_of_text|>"},
    {"<|system|>", "<|reserved_special_token_0|>"},
    {"<|user|>", "<|reserved_special_token_1|>"},
    {"<|assistant|>", "<|reserved_special_token_2|>"},
    {"<|tool|>", "<|reserved_special_token_3|>"}};
}  // namespace

TEST(ChatTemplate, ForeignSpecialTokensPlayHermesRoles) {
  const auto own = Tokenizer::load(kTok);
  const auto foreign = Tokenizer::from_json_text(renamed(read_text(kTok), kLlama3Names), "llama3-names");
  EXPECT_TRUE(own.role_aliases().empty());
  ASSERT_EQ(foreign.role_aliases().size(), 5u);
  EXPECT_EQ(describe_role_aliases(foreign).substr(0, 39), "<|end_of_text|> plays <|endoftext|>, <|");
  for (const auto& [hermes_name, own_name] : kLlama3Names) {
    EXPECT_EQ(foreign.special_id(hermes_name), own.special_id(hermes_name)) << hermes_name;
    EXPECT_EQ(foreign.id_to_token(foreign.special_id(hermes_name)), own_name);
  }
  // The same conversation gives the same ids through either tokenizer.
  EXPECT_EQ(encode_conversation(foreign, sample()).ids, encode_conversation(own, sample()).ids);
  const std::string prompt = render_generation_prompt(sample());
  EXPECT_EQ(foreign.encode_chat(prompt), own.encode(prompt));
  // encode() keeps HuggingFace's behaviour: hermes's names are plain text to this tokenizer.
  EXPECT_NE(foreign.encode(prompt), own.encode(prompt));
  EXPECT_EQ(foreign.encode_chat("no specials here"), foreign.encode("no specials here"));
  // The exported template writes the tokenizer's own names.
  const auto jinja = jinja_chat_template(foreign.role_aliases());
  EXPECT_NE(jinja.find("'<|reserved_special_token_1|>'"), std::string::npos);
  EXPECT_EQ(jinja.find("'<|user|>'"), std::string::npos);
}

TEST(ChatTemplate, AMissingRoleTokenNamesWhatWouldPlayIt) {
  // An end of text but no turn openers at all (GPT-2-like): plain text works, chat data fails.
  const auto tok = Tokenizer::from_json_text(renamed(read_text(kTok), {{"<|endoftext|>", "</s>"},
                                                                       {"<|system|>", "<|sys|>"},
                                                                       {"<|user|>", "<|usr|>"},
                                                                       {"<|assistant|>", "<|ast|>"},
                                                                       {"<|tool|>", "<|tl|>"}}),
                                             "no-roles");
  EXPECT_EQ(tok.id_to_token(tok.special_id("<|endoftext|>")), "</s>");
  try {
    encode_conversation(tok, sample());
    FAIL() << "a conversation needs turn openers";
  } catch (const hermes::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no special token '<|system|>'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("<|reserved_special_token_0..3|>"), std::string::npos) << e.what();
  }
}
