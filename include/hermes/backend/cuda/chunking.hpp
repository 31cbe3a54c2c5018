#pragma once
// Host-side planning for the CUDA backend, plain C++ (no CUDA headers) so CPU builds test it:
//  - row chunks for the tied head + cross-entropy (a (rows, V) bf16 logits buffer per chunk);
//  - the optimizer's block table: every parameter tensor cut into fixed-size blocks so one kernel
//    launch updates a whole arena (each GPU block reads its tensor's range and flags).
#include <algorithm>
#include <cstdint>
#include <vector>

namespace hermes::backend::cuda {

struct RowChunk {
  std::int64_t begin = 0, rows = 0;
};

// Rows per chunk so that a (rows, V) bf16 buffer fits in budget_bytes, a multiple of `align`
// (GEMM-friendly) unless N itself is smaller; at least one aligned chunk even when the budget is
// tiny. Chunks cover [0, N) in order without overlap; only the last may be shorter.
inline std::int64_t chunk_rows_for(std::int64_t N, std::int64_t V, std::int64_t budget_bytes, std::int64_t align = 8) {
  if (N <= 0) return 0;
  std::int64_t rows = V > 0 ? budget_bytes / (V * 2) : N;
  rows = std::max<std::int64_t>(align, rows / align * align);
  return std::min(rows, N);
}
inline std::vector<RowChunk> plan_row_chunks(std::int64_t N, std::int64_t V, std::int64_t budget_bytes,
                                             std::int64_t align = 8) {
  std::vector<RowChunk> out;
  const std::int64_t rows = chunk_rows_for(N, V, budget_bytes, align);
  for (std::int64_t b = 0; b < N; b += rows) out.push_back({b, std::min(rows, N - b)});
  return out;
}

// One optimizer tensor: elements [begin, end) of the parameter arena, its state at
// state_begin.. in the (compact) state arenas, and whether weight decay applies.
struct OptimSegment {
  std::int64_t begin = 0, end = 0, state_begin = 0;
  bool decays = false;
};
// A GPU block's share: at most `block_elems` elements of one segment. POD, copied to the device.
struct SegmentBlock {
  std::int64_t begin = 0, end = 0, state_begin = 0;  // state index of `begin`
  std::int32_t decays = 0, pad = 0;
};
inline std::vector<SegmentBlock> plan_segment_blocks(const std::vector<OptimSegment>& segments,
                                                     std::int64_t block_elems) {
  std::vector<SegmentBlock> out;
  for (const auto& s : segments)
    for (std::int64_t b = s.begin; b < s.end; b += block_elems)
      out.push_back({b, std::min(s.end, b + block_elems), s.state_begin + (b - s.begin), s.decays ? 1 : 0, 0});
  return out;
}

// ZeRO-1: the optimizer segments of one rank's shard [lo, hi) of the arena, in shard-local
// element coordinates (0 = lo) with the optimizer state compact over the shard. Tensors are
// (begin, size, decays) in arena order; a tensor cut by a shard edge contributes its piece.
struct ArenaTensor {
  std::int64_t begin = 0, size = 0;
  bool decays = false;
};
inline std::vector<OptimSegment> shard_segments(const std::vector<ArenaTensor>& tensors, std::int64_t lo,
                                                std::int64_t hi) {
  std::vector<OptimSegment> out;
  std::int64_t state = 0;
  for (const auto& t : tensors) {
    const std::int64_t b = std::max(lo, t.begin), e = std::min(hi, t.begin + t.size);
    if (b >= e) continue;
    out.push_back({b - lo, e - lo, state, t.decays});
    state += e - b;
  }
  return out;
}

}  // namespace hermes::backend::cuda
