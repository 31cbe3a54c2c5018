#pragma once
// The real tokenizer behind the prepare pipeline's Encoder seam: text documents get the end token
// appended; conversations are rendered and encoded by the chat template (which ends every block
// with the end token) and carry its assistant mask.
#include "hermes/data/prepare.hpp"
#include "hermes/tokenizer/tokenizer.hpp"

namespace hermes::data {

// `tokenizer` must outlive the returned encoder.
Encoder tokenizer_encoder(const tokenizer::Tokenizer& tokenizer);

}  // namespace hermes::data
