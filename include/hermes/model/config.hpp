#pragma once
// Model shape, presets, and the arithmetic that `hermes info` prints: exact parameter counts,
// FLOPs per token and a training-memory estimate. The parameter layout here is the one the model
// allocates; a test holds the two together.
#include <cstdint>
#include <string>
#include <vector>

namespace hermes::model {

enum class Ffn { gelu, swiglu };

struct ModelConfig {
  std::string preset;
  std::int64_t vocab_size = 0;
  std::int64_t n_layer = 0;
  std::int64_t n_embd = 0;
  std::int64_t n_head = 0;
  std::int64_t n_kv_head = 0;  // == n_head: multi-head attention; fewer: grouped-query attention
  std::int64_t ffn_hidden = 0;
  std::int64_t context_length = 0;
  Ffn ffn = Ffn::gelu;
  bool bias = false;  // biases on every linear layer (GPT-2 style)
  // Token shift ("smear"): each position's embedding gets a gated share of the previous token's,
  // so one attention layer can match "the token after an earlier copy of mine" (an induction head
  // without a previous-token layer). Off in every preset; no exported format computes it.
  bool smear = false;
  double rope_theta = 10000.0;
  double norm_eps = 1e-5;
  double init_std = 0.02;

  std::int64_t head_dim() const { return n_embd / n_head; }
  std::int64_t kv_dim() const { return n_kv_head * head_dim(); }
  std::int64_t qkv_dim() const { return n_embd + 2 * kv_dim(); }
};

const std::vector<std::string>& preset_names();
// Throws hermes::Error (with a did-you-mean) for an unknown name.
ModelConfig preset(const std::string& name);
// The vocabulary a preset is usually paired with (GPT-2's 50257, SmolLM's 49152, ...).
std::int64_t preset_reference_vocab(const std::string& name);
std::string to_string(Ffn ffn);
Ffn parse_ffn(const std::string& name);
// Throws hermes::Error naming the first inconsistency (heads not dividing width, ...).
void validate(const ModelConfig& config);

// Fails (one line naming the id and its position) unless every inputs[i] and targets[i], i < n,
// is in [0, vocab_size). Every backend checks its batches with it before use: an id outside the
// vocabulary would read past the embedding and the head.
void check_token_ids(const std::int32_t* inputs, const std::int32_t* targets, std::int64_t n, std::int64_t vocab_size);
// Fails (one line naming the window and position) unless each of the batch windows of seq_len
// document starts has 0 <= doc_start[t] <= t and never decreases: what attention's document mask
// relies on to stay inside the window.
void check_doc_starts(const std::int32_t* doc_start, std::int64_t batch, std::int64_t seq_len);

// One named parameter tensor of the model, in allocation order.
struct ParamSpec {
  std::string name;
  std::vector<std::int64_t> shape;
  bool is_hidden_matrix = false;  // 2-D weight inside a block: Muon's share
  bool decays = false;            // AdamW weight decay applies
  std::int64_t numel() const;
};
std::vector<ParamSpec> parameter_layout(const ModelConfig& config);

// Where each parameter tensor starts in a flat arena, by role, so a backend indexes its arena
// without name look-ups in the hot path. -1 marks a tensor this config does not have (biases
// without `bias`, the gate without SwiGLU).
// Shapes: C = n_embd, Q = qkv_dim(), F = ffn_hidden, V = vocab_size; weights are (out, in).
struct LayerParamOffsets {
  std::int64_t ln1;     // (C) attention norm weight
  std::int64_t qkv_w;   // (Q, C)
  std::int64_t qkv_b;   // (Q)
  std::int64_t proj_w;  // (C, C)
  std::int64_t proj_b;  // (C)
  std::int64_t ln2;     // (C) FFN norm weight
  std::int64_t gate_w;  // (F, C) SwiGLU only
  std::int64_t gate_b;  // (F)
  std::int64_t up_w;    // (F, C)
  std::int64_t up_b;    // (F)
  std::int64_t down_w;  // (C, F)
  std::int64_t down_b;  // (C)
};
struct ParamOffsets {
  std::int64_t tok_emb = -1;              // (V, C), tied to the output head
  std::int64_t smear = -1;                // (C) model.smear's gate weights
  std::int64_t final_norm = -1;           // (C)
  std::vector<LayerParamOffsets> layers;  // (n_layer)
};
// `arena_offsets[i]` is where the arena holds parameter_layout(config)[i] (backends may pad).
ParamOffsets param_offsets(const ModelConfig& config, const std::vector<std::int64_t>& arena_offsets);
std::int64_t parameter_count(const ModelConfig& config);
std::int64_t embedding_parameter_count(const ModelConfig& config);

// PaLM appendix B: 6N + 12·L·H·Q·T training FLOPs per token, N all parameters (the tied
// embedding is also the output projection, so its matmul is real work), T the sequence length.
double training_flops_per_token(const ModelConfig& config, std::int64_t seq_len);

enum class Precision { fp32, bf16 };
Precision parse_precision(const std::string& name);  // "fp32" or "bf16"
std::string to_string(Precision precision);

struct MemoryEstimate {
  double weights = 0, master_weights = 0, gradients = 0, optimizer = 0, activations = 0;
  double total() const { return weights + master_weights + gradients + optimizer + activations; }
};
// Bytes for one rank training with micro-batch `batch` of `seq_len` tokens. Activations count the
// tensors the backward pass keeps (see docs/memory.md for the list).
MemoryEstimate training_memory(const ModelConfig& config, std::int64_t batch, std::int64_t seq_len, Precision precision,
                               bool muon = false);

}  // namespace hermes::model
