#pragma once
// safetensors files: an 8-byte little-endian header length, a JSON header naming each tensor's
// dtype, shape and byte range, then the tensor bytes. Reading checks every range against the
// file and the dtype and shape against the range, so a truncated file or a header that lies is
// one error naming the file and the tensor, never a read past the end.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace hermes::interop {

enum class StDType { f32, f16, bf16 };
std::string to_string(StDType t);  // "F32", "F16", "BF16" (safetensors' spelling)
std::size_t element_size(StDType t);

struct StTensor {
  std::string name;
  StDType dtype = StDType::f32;
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> bytes;  // little-endian, row-major
  std::int64_t numel() const;
  std::vector<float> to_float() const;  // widened to float32
};

// Tensor data is converted from float32 into `dtype` (round to nearest even).
StTensor make_tensor(std::string name, StDType dtype, std::vector<std::int64_t> shape, const float* data);

// Writes the tensors in the order given with `metadata` as __metadata__; the header is padded
// with spaces to a multiple of 8 bytes so tensor data is aligned. Written to <path>.tmp, renamed.
void write_safetensors(const std::filesystem::path& path, const std::vector<StTensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

// Every tensor of one file, by name. Unsupported dtypes are refused naming the tensor.
std::map<std::string, StTensor> read_safetensors(const std::filesystem::path& path);

// A model directory's tensors: model.safetensors, or the shards that
// model.safetensors.index.json's weight_map names (each shard read once; a tensor listed in the
// index but missing from its shard is an error).
std::map<std::string, StTensor> read_safetensors_dir(const std::filesystem::path& dir);

}  // namespace hermes::interop
