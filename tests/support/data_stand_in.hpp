#pragma once
// A byte-level stand-in for the tokenizer, for testing the data pipeline without a trained
// tokenizer: ids 0-255 are bytes, then <|endoftext|> and one marker per chat role. A conversation
// is rendered as <role> content <|endoftext|> per message; the assistant's content and its closing
// end token are masked in (as the chat template's contract says).
#include <cstdint>
#include <string>
#include <vector>

#include "hermes/data/prepare.hpp"

namespace hermes::test {

inline constexpr std::uint32_t kEnd = 256, kSystem = 257, kUser = 258, kAssistant = 259, kTool = 260;

inline std::uint32_t role_token(const std::string& role) {
  if (role == "system") return kSystem;
  if (role == "human" || role == "user") return kUser;
  if (role == "gpt" || role == "assistant") return kAssistant;
  return kTool;
}

inline data::Encoder stand_in_encoder(std::uint64_t vocab_size = 261, std::string fingerprint = "stand-in-bytes-v1") {
  data::Encoder e;
  e.vocab_size = vocab_size;
  e.fingerprint = std::move(fingerprint);
  e.encode = [](const data::Document& d) {
    data::EncodedDocument out;
    auto bytes = [&](const std::string& s, std::uint8_t m) {
      for (unsigned char c : s) out.ids.push_back(c), out.mask.push_back(m);
    };
    if (!d.is_conversation) {
      bytes(d.text, 1);
      out.ids.push_back(kEnd), out.mask.push_back(1);
      out.mask.clear();  // text: every token counts
      return out;
    }
    for (std::size_t i = 0; i < d.conversation.messages.size(); ++i) {
      const auto& msg = d.conversation.messages[i];
      const std::uint32_t role = role_token(msg.role);
      const std::uint8_t m = role == kAssistant ? 1 : 0;
      out.ids.push_back(role), out.mask.push_back(0);
      bytes(msg.content, m);
      if (i == 0 && role == kSystem && !d.conversation.tools_json.empty()) bytes("\n" + d.conversation.tools_json, 0);
      out.ids.push_back(kEnd), out.mask.push_back(m);
    }
    return out;
  };
  return e;
}

}  // namespace hermes::test
