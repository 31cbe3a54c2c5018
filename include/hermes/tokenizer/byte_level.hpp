#pragma once
// GPT-2's byte<->unicode table: every byte gets a printable code point so that byte-level BPE
// vocabularies can be stored as text. Printable Latin-1 bytes map to themselves; the other 68
// bytes map, in byte order, to U+0100 and up (so ' ' is 'Ġ' U+0120 and '\n' is 'Ċ' U+010A).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hermes::tokenizer::byte_level {

char32_t byte_to_codepoint(std::uint8_t byte);
// The UTF-8 text of byte_to_codepoint(byte).
const std::string& byte_to_text(std::uint8_t byte);
// Raw bytes -> byte-level text (what tokenizer.json stores).
std::string encode(std::string_view bytes);
// Byte-level text -> raw bytes; nullopt when a character is outside the table.
std::optional<std::string> decode(std::string_view text);

}  // namespace hermes::tokenizer::byte_level

namespace hermes::tokenizer::utf8 {

// Length of the valid UTF-8 sequence starting at text[pos] (1..4), or 0 when the byte there does
// not start a valid sequence (stray continuation, overlong, surrogate, beyond U+10FFFF, truncated).
std::size_t sequence_length(std::string_view text, std::size_t pos);
// Length of the longest valid UTF-8 prefix of text.
std::size_t valid_prefix(std::string_view text);
// Appends the UTF-8 encoding of a code point.
void append(std::string& out, char32_t cp);
// Decodes one valid sequence of the given length.
char32_t decode_at(std::string_view text, std::size_t pos, std::size_t length);

}  // namespace hermes::tokenizer::utf8
