// Host-side planning of the CUDA backend (no GPU needed): cross-entropy row chunks and the
// optimizer's block table.
#include <gtest/gtest.h>

#include "hermes/backend/cuda/chunking.hpp"

namespace c = hermes::backend::cuda;

TEST(CrossEntropyChunks, CoverAllRowsWithinBudget) {
  const std::int64_t N = 8 * 1024, V = 50304, budget = 256ll << 20;
  const auto chunks = c::plan_row_chunks(N, V, budget);
  ASSERT_FALSE(chunks.empty());
  std::int64_t next = 0;
  for (const auto& ch : chunks) {
    EXPECT_EQ(ch.begin, next);
    EXPECT_GT(ch.rows, 0);
    EXPECT_LE(ch.rows * V * 2, budget);
    next += ch.rows;
  }
  EXPECT_EQ(next, N);
  // Every chunk but the last is the same multiple of 8.
  for (std::size_t i = 0; i + 1 < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i].rows, chunks[0].rows);
    EXPECT_EQ(chunks[i].rows % 8, 0);
  }
  EXPECT_EQ(chunks[0].rows, budget / (V * 2) / 8 * 8);
}

TEST(CrossEntropyChunks, TinyBudgetStillMakesProgressAndSmallNIsOneChunk) {
  const auto tiny = c::plan_row_chunks(100, 1000, 1);
  ASSERT_FALSE(tiny.empty());
  EXPECT_EQ(tiny[0].rows, 8);
  EXPECT_EQ(tiny.back().begin + tiny.back().rows, 100);
  const auto one = c::plan_row_chunks(5, 1000, 1ll << 30);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].rows, 5);
  EXPECT_TRUE(c::plan_row_chunks(0, 1000, 1 << 20).empty());
}

TEST(OptimizerBlocks, EveryElementOnceWithItsStateIndexAndFlag) {
  // Tensors as AdamW sees them: [0,10) decays, [10,13) no decay, a gap (a Muon matrix) then
  // [20,45) decays; the state arena is compact.
  const std::vector<c::OptimSegment> segs{{0, 10, 0, true}, {10, 13, 10, false}, {20, 45, 13, true}};
  const auto blocks = c::plan_segment_blocks(segs, 4);
  std::vector<int> seen(45, 0);
  for (const auto& b : blocks) {
    EXPECT_LE(b.end - b.begin, 4);
    EXPECT_LT(b.begin, b.end);
    for (std::int64_t i = b.begin; i < b.end; ++i) {
      ++seen[i];
      // find its segment and check the state index and flag
      for (const auto& s : segs)
        if (i >= s.begin && i < s.end) {
          EXPECT_EQ(b.state_begin + (i - b.begin), s.state_begin + (i - s.begin));
          EXPECT_EQ(b.decays != 0, s.decays);
        }
    }
  }
  for (int i = 0; i < 45; ++i) EXPECT_EQ(seen[i], (i >= 13 && i < 20) ? 0 : 1) << i;
  EXPECT_EQ(blocks.size(), 3u + 1u + 7u);  // ceil(10/4) + ceil(3/4) + ceil(25/4)
}
