#pragma once
// ModelSection::fields lives here because its rules need the preset list from model/.
#include "hermes/model/config.hpp"

namespace hermes::deck {

template <class V>
void ModelSection::fields(V& v) {
  v("preset", preset, "nano, tiny, gpt2-small, gpt2-medium, gpt2-large, llama-small, agentic-50m",
    rule().one_of(model::preset_names()));
  v("vocab_size", vocab_size, "vocabulary size (unset: the tokenizer's)", rule().in(256, 1 << 24));
  v("n_layer", n_layer, "transformer blocks", rule().in(1, 1024));
  v("n_embd", n_embd, "model width", rule().in(8, 1 << 16));
  v("n_head", n_head, "attention heads", rule().in(1, 1024));
  v("n_kv_head", n_kv_head, "key/value heads (fewer than n_head: grouped-query attention)", rule().in(1, 1024));
  v("ffn_hidden", ffn_hidden, "feed-forward hidden width", rule().in(1, 1 << 20));
  v("context_length", context_length, "longest sequence the model is built for", rule().in(2, 1 << 20));
  v("ffn", ffn, "gelu or swiglu", rule().one_of({"gelu", "swiglu"}));
  v("bias", bias, "biases on linear layers", rule());
  v("smear", smear, "token shift: add a gated share of the previous token's embedding (host backend; not exportable)",
    rule());
  v("rope_theta", rope_theta, "RoPE base", rule().above(0));
  v("norm_eps", norm_eps, "RMSNorm epsilon", rule().above(0).at_most(1));
  v("init_std", init_std, "standard deviation of the weight initialisation", rule().above(0).at_most(1));
}

// The model the deck describes: its preset with the deck's fields applied. vocab_size falls back
// to `tokenizer_vocab` when the deck leaves it unset and that is non-zero, else to the preset's
// reference vocabulary.
model::ModelConfig resolve_model(const ModelSection& section, std::int64_t tokenizer_vocab = 0);

}  // namespace hermes::deck
