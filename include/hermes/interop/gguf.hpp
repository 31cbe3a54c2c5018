#pragma once
// A GGUF version 3 writer, from the GGUF specification: little-endian header (magic "GGUF",
// version, tensor count, metadata count), typed key/value metadata, tensor infos (name, dims
// innermost first, ggml type, offset), then the tensor data, each tensor aligned to
// general.alignment bytes.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace hermes::interop {

enum class GgmlType : std::uint32_t { f32 = 0, f16 = 1, q8_0 = 8, bf16 = 30 };

class GgufWriter {
 public:
  explicit GgufWriter(std::uint32_t alignment = 32);
  void add_string(const std::string& key, const std::string& value);
  void add_u32(const std::string& key, std::uint32_t value);
  void add_f32(const std::string& key, float value);
  void add_bool(const std::string& key, bool value);
  void add_strings(const std::string& key, const std::vector<std::string>& values);
  void add_i32s(const std::string& key, const std::vector<std::int32_t>& values);
  // shape row-major (outermost first), as the tensor is laid out; GGUF lists it reversed.
  void add_tensor(const std::string& name, const std::vector<std::int64_t>& shape, GgmlType type,
                  std::vector<std::uint8_t> data);
  // To <path>.tmp, then renamed. Returns the bytes written.
  std::uint64_t write(const std::filesystem::path& path) const;

 private:
  struct Tensor {
    std::string name;
    std::vector<std::int64_t> shape;
    GgmlType type;
    std::vector<std::uint8_t> data;
  };
  std::uint32_t alignment_;
  std::uint64_t kv_count_ = 0;
  std::vector<std::uint8_t> kv_;
  std::vector<Tensor> tensors_;
};

// Bytes that `n` values take in `type` (Q8_0: n a multiple of 32).
std::uint64_t ggml_bytes(GgmlType type, std::int64_t n);
// Float values encoded in `type`.
std::vector<std::uint8_t> ggml_encode(GgmlType type, const std::vector<float>& values);

}  // namespace hermes::interop
