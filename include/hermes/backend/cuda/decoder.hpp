#pragma once
// The transformer for generation on the GPU: model::Decoder's interface and block math
// (include/hermes/model/decoder.hpp) with the CUDA ops, bf16 weights, activations and K/V cache,
// fp32 reductions, softmax and logits. Rows extend sequences held in `slots`; a prompt is
// prefilled in one pass, then each step feeds one row per live sequence; a row's attention costs
// O(position) (cached_attention_forward, kv_cache.cuh).
//
// Parameters: params() hands out a host fp32 arena in model::parameter_layout order (load a
// checkpoint into it, as with model::Decoder); the bf16 device copy (each tensor on a 16-element
// boundary) is refreshed from it at the next forward after params() was called.
// Device memory is allocated at construction (weights, caches, activations for max_rows rows,
// fp32 logits for max_slots rows); forward allocates nothing on the device (cuBLASLt plans are
// cached per row count on first use). Logits come back to pinned host memory, fp32, only for the
// rows asked for. Decode steps are replayed as CUDA graphs (one per row count) after their first
// eager run: a small model's step is otherwise dominated by ~10 launches per layer.
// Differences from model::Decoder, exact rewrites: residual add + RMSNorm fused, GELU fused into
// the up-projection GEMM.
// Header without CUDA types (pimpl), so plain C++ code can hold one; the class exists only in
// builds with HERMES_HAVE_CUDA.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hermes/model/config.hpp"

namespace hermes::backend::cuda {

class Decoder {
 public:
  using Index = std::int64_t;
  // max_rows bounds the rows of one forward call; device: the CUDA device to run on; graphs:
  // replay decode steps as CUDA graphs (one per row count, captured on its second use).
  Decoder(const model::ModelConfig& config, Index max_slots, Index max_rows, int device = 0, bool graphs = true);
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  const model::ModelConfig& config() const { return config_; }
  Index max_slots() const { return S_; }
  Index max_rows() const { return max_rows_; }
  Index context() const { return L_; }
  // Host fp32 parameters, model::parameter_layout order, contiguous; uploaded at the next forward.
  float* params() {
    dirty_ = true;
    return params_.data();
  }
  Index num_params() const { return n_params_; }
  std::int64_t param_offset(const std::string& name) const;
  std::size_t device_bytes() const;
  bool graphs() const { return use_graphs_; }  // false after a failed capture

  Index length(Index slot) const { return len_[slot]; }
  void reset(Index slot) { len_[slot] = 0; }

  // As model::Decoder::forward: logits (R, vocab) fp32 row-major in host memory (R <= max_slots),
  // or with last_only the last row's (vocab); valid until the next call. Synchronises the stream.
  const float* forward(const std::vector<std::int32_t>& slots, const std::vector<std::int32_t>& tokens,
                       bool last_only = false);
  const float* prefill(Index slot, const std::vector<std::int32_t>& tokens);

 private:
  struct Impl;
  void upload();
  void enqueue(Index R, Index first);  // one forward's stream work (eager, or inside a capture)
  model::ModelConfig config_;
  Index S_, max_rows_, L_;
  Index n_params_ = 0;
  std::vector<std::pair<std::string, Index>> offsets_;
  std::vector<Index> len_;
  std::vector<float> params_;
  bool dirty_ = true;
  bool use_graphs_ = true;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hermes::backend::cuda
