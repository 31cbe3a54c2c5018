#include "hermes/generate/prompts.hpp"

#include "hermes/core/error.hpp"
#include "hermes/data/corpus.hpp"

namespace hermes::generate {

std::string conversation_prompt(tokenizer::Conversation c) {
  while (!c.messages.empty() && (c.messages.back().role == "gpt" || c.messages.back().role == "assistant"))
    c.messages.pop_back();
  return tokenizer::render_generation_prompt(c);
}

PromptLine parse_prompt_line(std::string_view line, const std::string& where) {
  // nlohmann's parser stops at a NUL byte and would drop the rest of the line unread.
  if (line.find('\0') != std::string_view::npos) fail("{}: holds a NUL byte; a prompt line is UTF-8 JSON text", where);
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) fail("{}: not a JSON object", where);
  PromptLine out;
  if (j.contains("id")) out.id = j["id"];
  if (j.contains("prompt")) {
    if (!j["prompt"].is_string()) fail("{}: \"prompt\" must be a string", where);
    out.prompt = j["prompt"].get<std::string>();
    if (out.prompt.empty()) fail("{}: \"prompt\" is empty", where);
  } else if (j.contains("conversations") || j.contains("messages")) {
    data::sharegpt_tools(j, where);  // the tools check prepare applies to the same record
    out.prompt = conversation_prompt(tokenizer::conversation_from_sharegpt(line, where));
  } else {
    fail("{}: neither \"prompt\" nor \"conversations\"; write {{\"prompt\": \"...\"}} or a ShareGPT record", where);
  }
  return out;
}

}  // namespace hermes::generate
