#pragma once
// The transformer for generation: the same parameters and blocks (model/block.hpp) as
// model::Transformer, run forward only over rows of tokens that extend sequences held in a key/value cache. A prompt is
// prefilled in one pass (all its rows at once); then each step feeds one row per active sequence.
// A row costs O(position) in attention, so a token's cost grows linearly with the context.
//
// Sequences live in `slots` (0 .. max_slots-1), each up to the model's context_length positions.
// Different slots may hold sequences of different lengths: every row carries its own position.
#include <cstdint>
#include <vector>

#include "hermes/backend/host/common.hpp"
#include "hermes/model/config.hpp"

namespace hermes::model {

// The row bookkeeping every decoder (host, CUDA) shares: checks one forward call's rows against
// the limits (row count, slot range, context length, vocabulary) and gives row r the next
// position of its slot, advancing len (positions held, per slot). pos: (tokens.size()).
void assign_positions(const ModelConfig& config, const std::vector<std::int32_t>& slots,
                      const std::vector<std::int32_t>& tokens, bool last_only, std::int64_t max_rows,
                      std::vector<std::int64_t>& len, std::int32_t* pos);

template <class T>
class Decoder {
 public:
  using Index = std::int64_t;
  // max_rows bounds the rows of one forward call (the longest prefill, or slots per step).
  Decoder(const ModelConfig& config, Index max_slots, Index max_rows);

  const ModelConfig& config() const { return config_; }
  Index max_slots() const { return S_; }
  Index max_rows() const { return max_rows_; }
  Index context() const { return L_; }
  // Parameters, laid out exactly as model::parameter_layout (load a checkpoint into it).
  T* params() { return params_.data(); }
  Index num_params() const { return n_params_; }
  std::int64_t param_offset(const std::string& name) const;

  // Positions held by a slot; reset empties it.
  Index length(Index slot) const { return len_[slot]; }
  void reset(Index slot) { len_[slot] = 0; }

  // Appends tokens[i] to slot[i] (rows of one slot in order) and returns the logits of every row,
  // (R, vocab) row-major (R <= max_slots), valid until the next call; with last_only, only the
  // last row's logits (vocab) are computed and returned. Throws when a slot would pass the context.
  const T* forward(const std::vector<std::int32_t>& slots, const std::vector<std::int32_t>& tokens,
                   bool last_only = false);
  // Prefill: the whole prompt into one slot in one pass (the output projection for its last row
  // only); returns that row's logits (vocab).
  const T* prefill(Index slot, const std::vector<std::int32_t>& tokens);

 private:
  // Shapes: S = max_slots, L = context_length, R = max_rows, C = n_embd, Q = qkv_dim(),
  // F = ffn_hidden, H = n_head, KVH = n_kv_head, D = head_dim(), V = vocab_size.
  ModelConfig config_;
  Index S_, max_rows_, L_;
  Index n_params_ = 0;
  std::vector<std::pair<std::string, Index>> offsets_;  // each parameter's name and start
  ParamOffsets po_;                                     // the same starts, by role
  std::vector<Index> len_;                              // (S) positions each slot holds
  backend::host::HostArray<T> params_;                  // (n_params) parameter_layout order
  backend::host::HostArray<T> kcache_, vcache_;         // (n_layer, S, L, KVH, D) each
  // One forward's rows, back to back: x, h, att, tmp (R, C) each; qkv (R, Q); gate, up, act
  // (R, F) each; scores (R, H, L); rstd (R); logits (S, V).
  backend::host::HostArray<T> work_;
  backend::host::HostArray<T> rope_cos_, rope_sin_;  // (L, D/2) each
  std::vector<std::int32_t> pos_;                    // (R) each row's position in its slot
  // model.smear: each slot's last token, and per row its predecessor (the token shift's input).
  std::vector<std::int32_t> last_token_, prev_token_;
  std::vector<std::uint8_t> has_prev_;
};

extern template class Decoder<float>;
extern template class Decoder<double>;

}  // namespace hermes::model
