// NFC through ICU when the build found it. Text whose bytes are all below 0xCC (code points below
// U+0300: no combining marks, no Hangul jamo) is already NFC and skips ICU entirely.
#include <algorithm>

#include "hermes/core/error.hpp"
#include "hermes/tokenizer/byte_level.hpp"
#include "hermes/tokenizer/pretokenizer.hpp"

#ifdef HERMES_HAVE_ICU
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>
#endif

namespace hermes::tokenizer {

bool nfc_available() {
#ifdef HERMES_HAVE_ICU
  return true;
#else
  return false;
#endif
}

std::string_view normalize(Normalization n, std::string_view text, std::string& buffer) {
  if (n == Normalization::none) return text;
  const bool simple =
      std::none_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0xCC; });
  if (simple) return text;
#ifdef HERMES_HAVE_ICU
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) fail("ICU could not load its NFC data ({})", static_cast<int>(status));
  // Normalize valid UTF-8 runs only; invalid bytes pass through untouched.
  buffer.clear();
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t valid = utf8::valid_prefix(text.substr(pos));
    if (valid > 0) {
      const auto run = text.substr(pos, valid);
      const icu::UnicodeString u =
          icu::UnicodeString::fromUTF8(icu::StringPiece(run.data(), static_cast<int32_t>(run.size())));
      if (nfc->quickCheck(u, status) == UNORM_YES) {
        buffer.append(run);
      } else {
        const icu::UnicodeString normalized = nfc->normalize(u, status);
        if (U_FAILURE(status)) fail("ICU NFC normalization failed ({})", static_cast<int>(status));
        normalized.toUTF8String(buffer);
      }
    }
    pos += valid;
    if (pos < text.size()) buffer.push_back(text[pos++]);
  }
  return buffer;
#else
  fail("NFC normalization needs ICU, which this hermes build lacks; rebuild with libicu-dev installed");
#endif
}

}  // namespace hermes::tokenizer
