#pragma once
// The one chat template used by prepare, evaluate and chat.
//   <|system|>{system text}\n<tools>\n{tools json}\n</tools><|endoftext|>   (tools part only when
//                                                                  tools exist; the "\n" before it
//                                                                  only when there is system text)
//   <|user|>{text}<|endoftext|>   <|assistant|>{text}<|endoftext|>   <|tool|>{text}<|endoftext|>
// Blocks follow each other with nothing in between; docs/tokenizer.md shows an example.
#include <string>
#include <vector>

#include "hermes/tokenizer/tokenizer.hpp"

namespace hermes::tokenizer {

// The four roles of the template, and the ShareGPT/OpenAI names each accepts (human/user,
// gpt/assistant, tool/function/observation/ipython); another name fails with one line.
enum class Role { system, user, assistant, tool };
Role parse_role(const std::string& role);

struct Message {
  std::string role;  // ShareGPT "from": system, human, gpt, tool (also user/assistant accepted)
  std::string content;
};

struct Conversation {
  std::vector<Message> messages;
  std::string tools_json;  // the conversation's `tools` JSON text, placed in the system block
};

struct RenderedConversation {
  std::string text;
  // Byte ranges [begin, end) of `text` that belong to the assistant (its content, including
  // <think> and <tool_call> text, and its closing end token): the loss mask's source.
  std::vector<std::pair<std::size_t, std::size_t>> assistant_spans;
};

RenderedConversation render(const Conversation& conversation);

struct EncodedConversation {
  std::vector<TokenId> ids;
  std::vector<std::uint8_t> assistant_mask;  // 1 where the token belongs to the assistant
};
EncodedConversation encode_conversation(const Tokenizer& tokenizer, const Conversation& conversation);

// One ShareGPT record: {"conversations": [{"from": ..., "value": ...}, ...], "tools": ...,
// "system": ...} ("messages" with "role"/"content" is accepted too). `tools` may be a JSON string
// or any JSON value (then written compactly). Errors name `where` (file:line) and the field.
Conversation conversation_from_sharegpt(std::string_view json_line, const std::string& where);

// The prompt for generation: the rendered conversation followed by an open "<|assistant|>".
std::string render_generation_prompt(const Conversation& conversation);

// The same template in Jinja, for exported models (HuggingFace's apply_chat_template, llama.cpp):
// given messages [{role, content}], tools (a JSON string, or a list it writes with tojson) and
// add_generation_prompt, it renders exactly what render() / render_generation_prompt() do.
const std::string& jinja_chat_template();
// The template for a tokenizer whose own tokens play hermes's roles (Tokenizer::role_aliases):
// each hermes name replaced by the token that plays it.
std::string jinja_chat_template(const std::vector<std::pair<std::string, std::string>>& role_aliases);

}  // namespace hermes::tokenizer
