#pragma once
// Byte-level BPE tokenizer, HuggingFace tokenizer.json compatible (GPT-2, SmolLM, Llama-3, Qwen).
// The contract data/, evaluate and generate code against:
#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hermes::tokenizer {

using TokenId = std::uint32_t;

// Other families' end-of-text tokens, any of which plays hermes's <|endoftext|> in a tokenizer
// that lacks it (the first one present wins).
inline constexpr std::array<std::string_view, 4> kForeignEndOfText = {"<|end_of_text|>", "</s>", "<eos>", "<|im_end|>"};

class Tokenizer;
// "<|end_of_text|> plays <|endoftext|>, ..." for the log; empty without role aliases.
std::string describe_role_aliases(const Tokenizer& tokenizer);
// The role aliases (Tokenizer::role_aliases) a tokenizer whose added tokens are `added` gets.
std::vector<std::pair<std::string, std::string>> pick_role_aliases(const std::vector<std::string>& added);

class Tokenizer {
 public:
  // Loads a HuggingFace tokenizer.json; throws hermes::Error naming the file and JSON path.
  static Tokenizer load(const std::filesystem::path& path);
  // The same from the text of a tokenizer.json (a checkpoint stores one); `source` names it in errors.
  static Tokenizer from_json_text(std::string_view text, const std::string& source);
  void save(const std::filesystem::path& path) const;

  // Special/added tokens in the text are matched first and never split.
  std::vector<TokenId> encode(std::string_view text) const;
  std::vector<std::vector<TokenId>> encode_batch(const std::vector<std::string>& texts) const;
  // Byte-exact inverse of encode for valid UTF-8 (invalid bytes round-trip too).
  std::string decode(const std::vector<TokenId>& ids) const;

  std::size_t vocab_size() const;
  std::optional<TokenId> token_to_id(std::string_view token) const;
  std::string id_to_token(TokenId id) const;
  // Id of a special token such as "<|endoftext|>", or of the token that plays that role in a
  // foreign tokenizer (role_aliases); throws hermes::Error when neither exists.
  TokenId special_id(std::string_view token) const;
  // hermes's own format names its specials: <|endoftext|> ends documents and turns, <|system|>,
  // <|user|>, <|assistant|> and <|tool|> open turns. A tokenizer without them (Llama 3's, say)
  // has its own tokens play those roles, picked when it is loaded: end of text from
  // <|end_of_text|>, </s>, <eos>, <|im_end|> (the first it has); the four openers from its
  // <|reserved_special_token_0..3|> when it has them. (hermes name, the tokenizer's token), in
  // that order; empty for a tokenizer that has hermes's names.
  const std::vector<std::pair<std::string, std::string>>& role_aliases() const;
  // encode() for text in hermes's formats (rendered chat prompts): also turns each hermes name
  // in role_aliases into the id of the token that plays it. encode() itself stays exactly
  // HuggingFace's.
  std::vector<TokenId> encode_chat(std::string_view text) const;
  // A stable hash of the vocabulary, merges, specials and pre-tokenizer: shards and
  // checkpoints record it and refuse a mismatching tokenizer.
  std::string fingerprint() const;

  Tokenizer();
  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  Tokenizer(const Tokenizer&);
  Tokenizer& operator=(const Tokenizer&);

  struct Impl;
  const Impl& impl() const { return *impl_; }
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hermes::tokenizer
