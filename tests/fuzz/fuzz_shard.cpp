// HDF5 token shards: header, full read and the loader's random access, on damaged files.
#include "harness.hpp"
#include "hermes/data/shard.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  hermes::hdf5::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& path = hermes::fuzz::write_scratch(data, size, "-shard.h5");
  hermes::fuzz::expect_clean([&] {
    auto header = hermes::data::read_shard_header(path);
    hermes::data::check_shard_header(header, path, "");
  });
  hermes::fuzz::expect_clean([&] { hermes::data::read_shard(path); });
  return 0;
}
