#pragma once
// `hermes tokenize`: encode text with a tokenizer.json and print ids as JSON, or decode them.
#include <optional>
#include <string>

namespace hermes::tokenizer {

struct TokenizeRequest {
  std::string tokenizer;            // tokenizer.json
  std::optional<std::string> text;  // one text (with decode: a JSON array of ids)
  std::string file;                 // a whole file as one text
  std::string jsonl;                // one record per line, `text_field` encoded
  std::string text_field = "text";
  bool decode = false;
};
// Prints to stdout; returns the exit code. Bad input throws hermes::Error.
int tokenize_command(const TokenizeRequest& request);

}  // namespace hermes::tokenizer
