#pragma once
// Host-side planning of the cached attention (kv_cache.cuh), plain C++ so CPU builds test it.
// A row's positions 0..pos are cut into `splits` chunks of `split_len` (a multiple of the 32-key
// tile), one GPU block per (row, KV head, chunk). Few rows (decoding) get several chunks so the
// blocks fill the GPU; many rows (prefill) one chunk each, and then no merge pass and no
// workspace. Splits are planned from the context L (the host does not know the device-side
// positions); a row shorter than the plan just leaves its later chunks idle.
#include <algorithm>
#include <cstdint>

namespace hermes::backend::cuda {

constexpr std::int64_t kDecodeTile = 32;           // keys per tile (one per lane in the softmax)
constexpr std::int64_t kDecodeMinSplit = 128;      // positions a chunk covers at least
constexpr std::int64_t kDecodeTargetBlocks = 512;  // (row, KV head, chunk) blocks that fill an H100

struct AttentionSplit {
  std::int64_t splits = 1, split_len = 0;
};

inline AttentionSplit cached_attention_plan(std::int64_t R, std::int64_t L, std::int64_t KVH) {
  const std::int64_t most = std::max<std::int64_t>(1, L / kDecodeMinSplit);  // chunks >= kDecodeMinSplit
  const std::int64_t rk = std::max<std::int64_t>(1, R * KVH);
  const std::int64_t splits = std::clamp<std::int64_t>((kDecodeTargetBlocks + rk - 1) / rk, 1, most);
  const std::int64_t len = ((L + splits - 1) / splits + kDecodeTile - 1) / kDecodeTile * kDecodeTile;
  return {(L + len - 1) / len, len};  // rounding len up to whole tiles may leave fewer chunks
}

// Chunks that hold keys of a row at position pos (the merge pass reads these; constexpr, so the
// merge kernel calls it too).
constexpr std::int64_t cached_attention_used_splits(std::int64_t pos, std::int64_t split_len) {
  return (pos + split_len) / split_len;
}

// fp32 workspace elements for any call with at most max_rows rows: (R, H, splits, D + 2) per
// split row (partial output, running max, running sum); 0 when no such call splits.
inline std::int64_t cached_attention_workspace(std::int64_t max_rows, std::int64_t L, std::int64_t H, std::int64_t KVH,
                                               std::int64_t D) {
  std::int64_t most = 0;
  for (std::int64_t R = 1; R <= max_rows; ++R) {
    const auto p = cached_attention_plan(R, L, KVH);
    if (p.splits > 1) most = std::max(most, R * H * p.splits * (D + 2));
  }
  return most;
}

}  // namespace hermes::backend::cuda
