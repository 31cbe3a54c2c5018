#pragma once
// Shared by the libFuzzer harnesses. A harness feeds one input to a hermes reader; a rejection is
// a hermes::Error or CollectiveError (the one-line messages users see). Anything else that
// escapes (another exception type, which main() reports as an unexpected failure with exit 3), a
// crash or a sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

#include "hermes/core/error.hpp"
#include "hermes/deck/parser.hpp"
#include "hermes/core/hdf5.hpp"

namespace hermes::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs `read`; user-facing rejections are expected, everything else propagates.
template <typename Fn>
void expect_clean(Fn&& read) {
  try {
    read();
  } catch (const hermes::Error&) {
  } catch (const hermes::CollectiveError&) {
  }
}

// Readers that take a path (tokenizer.json, HDF5 shards and checkpoints) read the input from one
// file per process in RAM-backed storage where there is some.
inline const std::filesystem::path& scratch_file(const char* suffix) {
  static const std::filesystem::path path = [suffix] {
    const std::filesystem::path dir =
        std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
    return dir / ("hermes-fuzz-" + std::to_string(::getpid()) + suffix);
  }();
  return path;
}

inline const std::filesystem::path& write_scratch(const std::uint8_t* data, std::size_t size, const char* suffix) {
  const auto& path = scratch_file(suffix);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace hermes::fuzz
