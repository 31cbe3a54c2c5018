#pragma once
// Lines of a generate prompts file (JSONL): {"prompt": "...", "id": ...} for raw text, or a
// ShareGPT record whose trailing assistant turns are dropped so the model writes the next one.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "hermes/tokenizer/chat_template.hpp"

namespace hermes::generate {

struct PromptLine {
  nlohmann::json id;   // the line's "id", else null (the caller numbers it)
  std::string prompt;  // the text the model continues
};

// Parses one non-blank line; a malformed one throws hermes::Error "<where>: <what>; <fix>".
PromptLine parse_prompt_line(std::string_view line, const std::string& where);

// A conversation's generation prompt: trailing assistant turns dropped, so the next one is made.
std::string conversation_prompt(tokenizer::Conversation c);

}  // namespace hermes::generate
