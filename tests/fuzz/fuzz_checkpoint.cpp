// HDF5 checkpoints: header, then every tensor of the model the header describes (as generate
// loads them) and the optimizer state, on damaged files.
#include <vector>

#include "harness.hpp"
#include "hermes/io/checkpoint.hpp"
#include "hermes/model/config.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  hermes::hdf5::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& path = hermes::fuzz::write_scratch(data, size, "-checkpoint.h5");
  hermes::fuzz::expect_clean([&] {
    auto into = hermes::io::read_checkpoint_header(path);
    const auto layout = hermes::model::parameter_layout(into.model);
    std::int64_t total = 0;
    for (const auto& spec : layout) total += spec.numel();
    if (total > (std::int64_t{1} << 24)) return;  // a header naming a huge model: not worth allocating
    std::vector<float> arena(static_cast<std::size_t>(total));
    std::int64_t at = 0;
    for (const auto& spec : layout) {
      into.weights.push_back({spec.name, spec.shape, arena.data() + at});
      at += spec.numel();
    }
    hermes::io::load_checkpoint(path, into, false);
  });
  return 0;
}
