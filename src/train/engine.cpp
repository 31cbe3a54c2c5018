// Engine selection and the backend-independent parameter checksum (engine.hpp).
#include "hermes/train/engine.hpp"

#include "hermes/core/error.hpp"

namespace hermes::train {

std::unique_ptr<Engine> make_engine(backend::Kind kind, const deck::Deck& d, const dist::Communicator& comm,
                                    const model::ModelConfig& config, std::int64_t batch, std::int64_t seq_len) {
  if (kind == backend::Kind::cuda) {
    if (d.train.document_mask)
      fail(
          "{}: train.document_mask is not implemented by the CUDA backend yet; set it to false or use "
          "parallel.backend = \"host\"",
          d.where("train.document_mask"));
    if (config.smear)
      fail(
          "{}: model.smear is not implemented by the CUDA backend yet; set it to false or use "
          "parallel.backend = \"host\"",
          d.where("model.smear"));
#if defined(HERMES_HAVE_CUDA)
    return make_cuda_engine(d, comm, config, batch, seq_len);
#else
    fail(
        "{}: parallel.backend = \"cuda\" but this hermes was built without CUDA: rebuild with the cuda preset "
        "(scripts/build-cuda.sh) or set parallel.backend = \"host\"",
        d.where("parallel.backend"));
#endif
  }
  return make_host_engine(d, comm, config, batch, seq_len);
}

std::uint64_t checksum(const std::vector<io::TensorRef>& tensors) {
  std::uint64_t h = 1469598103934665603ull;
  for (const auto& t : tensors) {
    std::int64_t n = 1;
    for (auto e : t.shape) n *= e;
    const auto* bytes = reinterpret_cast<const unsigned char*>(t.data);
    for (std::size_t i = 0; i < static_cast<std::size_t>(n) * sizeof(float); ++i) {
      h ^= bytes[i];
      h *= 1099511628211ull;
    }
  }
  return h;
}

}  // namespace hermes::train
