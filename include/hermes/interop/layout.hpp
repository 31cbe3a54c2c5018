#pragma once
// How a hermes model maps onto the layouts other tools read: HuggingFace's LlamaForCausalLM
// tensor names (safetensors) and llama.cpp's GGUF names. hermes's blocks are Llama blocks
// (RMSNorm pre-norm, RoPE in the rotate-half convention, SwiGLU, tied embeddings) with the
// attention projections packed into one qkv matrix, so the mapping is names plus row slices,
// and for GGUF one permutation of the q and k rows (docs/interop.md says why).
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "hermes/io/checkpoint.hpp"
#include "hermes/model/config.hpp"

namespace hermes::interop {

// One exported tensor: rows [row0, row0 + rows) of the hermes tensor `hermes` (all of it when
// rows == its first dimension), named `hf` in safetensors and `gguf` in GGUF.
struct TensorPiece {
  std::string hf, gguf, hermes;
  std::int64_t row0 = 0;
  std::vector<std::int64_t> shape;  // row-major, as safetensors stores it
  std::int64_t rope_heads = 0;      // q/k projections: heads whose rows GGUF permutes (0: none)
};
std::vector<TensorPiece> tensor_pieces(const model::ModelConfig& config);

// Refuses, in one line naming `source` and the fix, a model no exchange format computes
// faithfully (the GELU presets: RMSNorm + non-gated GELU + RoPE is no transformers or llama.cpp
// architecture).
void check_exportable(const model::ModelConfig& config, const std::string& source);

// A checkpoint's header and weights (fp32, by hermes parameter name).
struct CheckpointWeights {
  io::CheckpointData header;
  std::map<std::string, std::vector<float>> tensors;
};
CheckpointWeights read_checkpoint_weights(const std::filesystem::path& checkpoint);

// Copies rows [row0, row0 + rows) x cols of `tensor` (row-major, cols wide) out.
std::vector<float> slice_rows(const std::vector<float>& tensor, std::int64_t row0, std::int64_t rows,
                              std::int64_t cols);

// llama.cpp rotates adjacent pairs (2i, 2i+1) of each head; hermes and HuggingFace rotate
// (i, i + D/2). Reordering each head's rows to 0, D/2, 1, D/2+1, ... makes the two agree.
// Works for weights (cols = width) and biases (cols = 1); unpermute_rope_rows is its inverse.
std::vector<float> permute_rope_rows(const std::vector<float>& w, std::int64_t heads, std::int64_t head_dim,
                                     std::int64_t cols);
std::vector<float> unpermute_rope_rows(const std::vector<float>& w, std::int64_t heads, std::int64_t head_dim,
                                       std::int64_t cols);

// What exporters need of a tokenizer.json (any byte-level BPE file hermes loads).
struct VocabInfo {
  std::vector<std::string> tokens;       // id -> token text as tokenizer.json spells it; holes "[PAD<id>]"
  std::vector<std::int32_t> gguf_types;  // 1 normal, 3 control (special added), 4 user-defined, 5 unused
  std::vector<std::string> merges;       // "left right", rank order
  std::int64_t end_id = -1;              // <|endoftext|>: hermes's end of text and of every turn
  std::int64_t pad_id = -1;              // <|pad|> when present, else end_id
  bool hermes_chat_roles = false;        // has <|system|>, <|user|>, <|assistant|>, <|tool|> (or tokens playing them)
  std::vector<std::pair<std::string, std::string>> role_aliases;  // Tokenizer::role_aliases
  std::string gguf_pre;                                           // llama.cpp's pre-tokenizer name; empty: none matches
  std::string pre_description;                                    // what the pre-tokenizer is, for messages
  bool nfc = false;                                               // the tokenizer normalizes to NFC
};
// vocab: the model's vocabulary size (>= the tokenizer's; extra rows become unused tokens).
VocabInfo vocab_info(const std::string& tokenizer_json, std::int64_t vocab, const std::string& source);
// Exports end every turn with the end-of-text token: refuses a vocabulary without one.
void require_end_of_text(const VocabInfo& v, const std::string& source);

}  // namespace hermes::interop
