#include "hermes/data/tokenizer_encoder.hpp"

#include "hermes/tokenizer/chat_template.hpp"

namespace hermes::data {

Encoder tokenizer_encoder(const tokenizer::Tokenizer& tok) {
  Encoder e;
  e.vocab_size = tok.vocab_size();
  e.fingerprint = tok.fingerprint();
  const tokenizer::TokenId end = tok.special_id("<|endoftext|>");
  e.encode = [&tok, end](const Document& doc) {
    EncodedDocument out;
    if (doc.is_conversation) {
      auto c = tokenizer::encode_conversation(tok, doc.conversation);
      out.ids = std::move(c.ids);
      out.mask = std::move(c.assistant_mask);
    } else {
      out.ids = tok.encode(doc.text);
      out.ids.push_back(end);
    }
    return out;
  };
  return e;
}

}  // namespace hermes::data
