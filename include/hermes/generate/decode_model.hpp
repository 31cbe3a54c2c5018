#pragma once
// The seam between the Generator and a backend's decoder: model::Decoder<float> on the host,
// backend::cuda::Decoder on a GPU (CUDA builds only). Both keep the same contract (see
// include/hermes/model/decoder.hpp): slots of cached sequences, prefill of a whole prompt with
// the last row's logits only, decode steps of one row per slot; logits fp32 in host memory.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hermes/backend/select.hpp"
#include "hermes/model/config.hpp"

namespace hermes::generate {

class DecodeModel {
 public:
  using Index = std::int64_t;
  virtual ~DecodeModel() = default;

  virtual const model::ModelConfig& config() const = 0;
  virtual Index max_slots() const = 0;
  virtual Index context() const = 0;
  // Host fp32 parameters in model::parameter_layout order (a checkpoint loads into them); a GPU
  // model copies them to the device at its next forward.
  virtual float* params() = 0;
  virtual Index num_params() const = 0;
  virtual std::int64_t param_offset(const std::string& name) const = 0;

  virtual Index length(Index slot) const = 0;
  virtual void reset(Index slot) = 0;
  // Logits of every row (R, vocab), or with last_only of the last row; valid until the next call.
  virtual const float* forward(const std::vector<std::int32_t>& slots, const std::vector<std::int32_t>& tokens,
                               bool last_only = false) = 0;
  virtual const float* prefill(Index slot, const std::vector<std::int32_t>& tokens) = 0;
  virtual backend::Kind backend() const = 0;
};

// The decoder of `kind` (as backend::resolve returns it): max_rows bounds one forward's rows;
// device is the GPU for Kind::cuda (ignored on the host). Kind::cuda in a build without CUDA is
// a hermes::Error.
std::unique_ptr<DecodeModel> make_decode_model(backend::Kind kind, const model::ModelConfig& config,
                                               std::int64_t max_slots, std::int64_t max_rows, int device = 0);

}  // namespace hermes::generate
