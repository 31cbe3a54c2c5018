#pragma once
// HDF5 token shards and the dataset manifest (the schema is documented in docs/data.md).
//
// One shard file:
//   /tokens       uint16 (vocab_size <= 65536) or uint32, shape (n_tokens,)
//   /doc_offsets  uint64, shape (n_documents + 1,): document d is tokens[doc_offsets[d], doc_offsets[d+1])
//   /loss_mask    uint8, shape (n_tokens,), optional: 1 where the token counts in the loss
//   attributes on /: format ("hermes-shard"), format_version, tokenizer_fingerprint, vocab_size,
//                    split, sources (input files), documents, tokens
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace hermes::data {

inline constexpr std::int64_t kShardFormatVersion = 1;
inline constexpr const char* kShardFormatName = "hermes-shard";
inline constexpr const char* kManifestName = "manifest.json";

struct ShardHeader {
  std::int64_t format_version = kShardFormatVersion;
  std::string tokenizer_fingerprint;
  std::uint64_t vocab_size = 0;
  std::string split;
  std::vector<std::string> sources;
  std::uint64_t documents = 0, tokens = 0;
  bool has_loss_mask = false;
};

struct ShardData {
  std::vector<std::uint32_t> tokens;       // (n_tokens,)
  std::vector<std::uint64_t> doc_offsets;  // (n_documents + 1,), starts at 0
  std::vector<std::uint8_t> loss_mask;     // (n_tokens,) or empty: no mask
};

// Writes `path` through a temporary name and a rename, so an interrupted write never leaves a
// file that looks complete. Token ids must be < header.vocab_size.
void write_shard(const std::filesystem::path& path, ShardHeader header, const ShardData& data);
ShardHeader read_shard_header(const std::filesystem::path& path);
ShardData read_shard(const std::filesystem::path& path, ShardHeader* header = nullptr);

// Refuses a shard of another format version or tokenizer with a one-line reason and the fix
// ("" fingerprint: any tokenizer).
void check_shard_header(const ShardHeader& header, const std::filesystem::path& path,
                        const std::string& expected_fingerprint);

// Random access into one shard for the loader: keeps the file open.
class ShardReader {
 public:
  explicit ShardReader(const std::filesystem::path& path);
  ~ShardReader();
  ShardReader(ShardReader&&) noexcept;
  ShardReader& operator=(ShardReader&&) noexcept;
  const ShardHeader& header() const;
  // tokens[begin, begin + count) widened to int32.
  void read_tokens(std::uint64_t begin, std::uint64_t count, std::int32_t* out) const;
  // loss_mask[begin, begin + count); all ones when the shard has no mask.
  void read_mask(std::uint64_t begin, std::uint64_t count, std::uint8_t* out) const;
  // /doc_offsets (documents + 1 entries, 0 to tokens), read and checked on the first call.
  const std::vector<std::uint64_t>& doc_offsets() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hermes::data
