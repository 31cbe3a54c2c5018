#include "hermes/generate/decode_model.hpp"

#include <utility>

#include "hermes/core/error.hpp"
#include "hermes/model/decoder.hpp"

#if defined(HERMES_HAVE_CUDA)
#include "hermes/backend/cuda/decoder.hpp"
#endif

namespace hermes::generate {

namespace {
// One adapter for both decoders: they share the member names, not a base class (model:: and
// backend:: do not depend on generate::).
template <class D, backend::Kind K>
class Adapter final : public DecodeModel {
 public:
  template <class... Args>
  explicit Adapter(Args&&... args) : d_(std::forward<Args>(args)...) {}
  const model::ModelConfig& config() const override { return d_.config(); }
  Index max_slots() const override { return d_.max_slots(); }
  Index context() const override { return d_.context(); }
  float* params() override { return d_.params(); }
  Index num_params() const override { return d_.num_params(); }
  std::int64_t param_offset(const std::string& name) const override { return d_.param_offset(name); }
  Index length(Index slot) const override { return d_.length(slot); }
  void reset(Index slot) override { d_.reset(slot); }
  const float* forward(const std::vector<std::int32_t>& slots, const std::vector<std::int32_t>& tokens,
                       bool last_only) override {
    return d_.forward(slots, tokens, last_only);
  }
  const float* prefill(Index slot, const std::vector<std::int32_t>& tokens) override {
    return d_.prefill(slot, tokens);
  }
  backend::Kind backend() const override { return K; }

 private:
  D d_;
};
}  // namespace

std::unique_ptr<DecodeModel> make_decode_model(backend::Kind kind, const model::ModelConfig& config,
                                               std::int64_t max_slots, std::int64_t max_rows, int device) {
  if (kind == backend::Kind::host)
    return std::make_unique<Adapter<model::Decoder<float>, backend::Kind::host>>(config, max_slots, max_rows);
#if defined(HERMES_HAVE_CUDA)
  return std::make_unique<Adapter<backend::cuda::Decoder, backend::Kind::cuda>>(config, max_slots, max_rows, device);
#else
  (void)device;
  fail(
      "parallel.backend selects the CUDA backend but this hermes was built without CUDA: rebuild with the cuda "
      "preset or set parallel.backend = \"host\"");
#endif
}

}  // namespace hermes::generate
