// GGUF export for llama.cpp (architecture "llama", tokenizer model "gpt2"). llama.cpp's llama
// graph rotates adjacent pairs (2i, 2i+1) of each head while hermes rotates (i, i + D/2), so the
// q and k rows (and biases) of each head are reordered to 0, D/2, 1, D/2+1, ...: the same dot
// products, in llama.cpp's pairing. The tied output projection is not written: llama.cpp uses
// token_embd when output.weight is absent.
#include <toml++/toml.h>

#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"
#include "hermes/interop/export.hpp"
#include "hermes/interop/gguf.hpp"
#include "hermes/interop/layout.hpp"
#include "hermes/tokenizer/chat_template.hpp"

namespace hermes::interop {

namespace {

std::uint32_t file_type(const std::string& dtype) {
  // llama_ftype: ALL_F32 0, MOSTLY_F16 1, MOSTLY_Q8_0 7, MOSTLY_BF16 32.
  if (dtype == "f16") return 1;
  if (dtype == "q8_0") return 7;
  if (dtype == "bf16") return 32;
  return 0;
}

GgmlType matrix_type(const std::string& dtype, std::int64_t cols) {
  if (dtype == "f16") return GgmlType::f16;
  if (dtype == "bf16") return GgmlType::bf16;
  // Q8_0 quantizes rows in blocks of 32; a narrower or ragged row stays f16 (as llama.cpp's own
  // converter does).
  if (dtype == "q8_0") return cols % 32 == 0 ? GgmlType::q8_0 : GgmlType::f16;
  return GgmlType::f32;
}

std::string run_name(const std::string& deck_toml) {
  try {
    const auto t = toml::parse(deck_toml);
    return t["run"]["name"].value_or(std::string("hermes"));
  } catch (const toml::parse_error&) {
    return "hermes";
  }
}

}  // namespace

ExportSummary export_gguf(const ExportRequest& r) {
  const auto w = read_checkpoint_weights(r.checkpoint);
  const auto& c = w.header.model;
  const VocabInfo v = vocab_info(w.header.tokenizer_json, c.vocab_size, r.checkpoint.string());
  if (v.gguf_pre.empty())
    fail(
        "{}: the tokenizer's pre-tokenizer ({}) matches none of llama.cpp's (gpt-2, llama-bpe, qwen2, smollm), "
        "so llama.cpp would split text differently; train the tokenizer with tokenizer.pattern = \"gpt2\", "
        "\"llama3\" or \"qwen2\"",
        r.checkpoint.string(), v.pre_description);
  require_end_of_text(v, r.checkpoint.string());
  if (v.nfc)
    log::warn(
        "export: the tokenizer normalizes text to NFC and llama.cpp does not; text that is not already "
        "NFC may tokenize differently there");

  GgufWriter g;
  g.add_string("general.architecture", "llama");
  g.add_string("general.name", run_name(w.header.deck_toml));
  g.add_u32("general.file_type", file_type(r.dtype));
  if (r.dtype == "q8_0") g.add_u32("general.quantization_version", 2);
  auto u32 = [](std::int64_t x) { return static_cast<std::uint32_t>(x); };
  g.add_u32("llama.vocab_size", u32(c.vocab_size));
  g.add_u32("llama.context_length", u32(c.context_length));
  g.add_u32("llama.embedding_length", u32(c.n_embd));
  g.add_u32("llama.block_count", u32(c.n_layer));
  g.add_u32("llama.feed_forward_length", u32(c.ffn_hidden));
  g.add_u32("llama.rope.dimension_count", u32(c.head_dim()));
  g.add_u32("llama.attention.head_count", u32(c.n_head));
  g.add_u32("llama.attention.head_count_kv", u32(c.n_kv_head));
  g.add_f32("llama.attention.layer_norm_rms_epsilon", static_cast<float>(c.norm_eps));
  g.add_f32("llama.rope.freq_base", static_cast<float>(c.rope_theta));

  g.add_string("tokenizer.ggml.model", "gpt2");
  g.add_string("tokenizer.ggml.pre", v.gguf_pre);
  g.add_strings("tokenizer.ggml.tokens", v.tokens);
  g.add_i32s("tokenizer.ggml.token_type", v.gguf_types);
  g.add_strings("tokenizer.ggml.merges", v.merges);
  g.add_u32("tokenizer.ggml.bos_token_id", u32(v.end_id));
  g.add_u32("tokenizer.ggml.eos_token_id", u32(v.end_id));
  g.add_u32("tokenizer.ggml.eot_token_id", u32(v.end_id));
  g.add_u32("tokenizer.ggml.padding_token_id", u32(v.pad_id));
  g.add_bool("tokenizer.ggml.add_bos_token", false);
  g.add_bool("tokenizer.ggml.add_eos_token", false);
  if (v.hermes_chat_roles) g.add_string("tokenizer.chat_template", tokenizer::jinja_chat_template(v.role_aliases));

  for (const auto& p : tensor_pieces(c)) {
    const auto& src = w.tensors.at(p.hermes);
    const std::int64_t cols = p.shape.size() == 2 ? p.shape[1] : 1;
    auto data = slice_rows(src, p.row0, p.shape[0], cols);
    if (p.rope_heads > 0) data = permute_rope_rows(data, p.rope_heads, c.head_dim(), cols);
    // Norms and biases stay f32, as in every llama.cpp model: they are small and precision-critical.
    const GgmlType type = p.shape.size() == 2 ? matrix_type(r.dtype, cols) : GgmlType::f32;
    g.add_tensor(p.gguf, p.shape, type, ggml_encode(type, data));
  }
  ExportSummary s;
  s.dtype = r.dtype;
  s.bytes = g.write(r.output);
  s.files.push_back(r.output);
  return s;
}

}  // namespace hermes::interop
