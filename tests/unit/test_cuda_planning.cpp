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

TEST(Zero1Segments, ShardsSplitTensorsAndKeepFlags) {
  // Arena: [0,100) decays, [100,110) no decay, [112,300) decays (gap = alignment padding).
  const std::vector<c::ArenaTensor> t{{0, 100, true}, {100, 10, false}, {112, 188, true}};
  const std::int64_t shard = 80;  // world 4 over a padded arena of 320
  std::int64_t covered = 0;
  for (int r = 0; r < 4; ++r) {
    const auto segs = c::shard_segments(t, r * shard, (r + 1) * shard);
    std::int64_t state = 0;
    for (const auto& s : segs) {
      EXPECT_GE(s.begin, 0);
      EXPECT_LE(s.end, shard);
      EXPECT_LT(s.begin, s.end);
      EXPECT_EQ(s.state_begin, state);  // compact per shard
      state += s.end - s.begin;
      const std::int64_t global = r * shard + s.begin;
      EXPECT_EQ(s.decays, !(global >= 100 && global < 110)) << "rank " << r;
    }
    covered += state;
  }
  EXPECT_EQ(covered, 100 + 10 + 188);
  // Rank 1 holds [80,160): the tail of tensor 0, all of tensor 1, the head of tensor 2.
  const auto r1 = c::shard_segments(t, 80, 160);
  ASSERT_EQ(r1.size(), 3u);
  EXPECT_EQ(r1[0].begin, 0);
  EXPECT_EQ(r1[0].end, 20);
  EXPECT_EQ(r1[1].begin, 20);
  EXPECT_EQ(r1[1].end, 30);
  EXPECT_EQ(r1[2].begin, 32);
  EXPECT_EQ(r1[2].end, 80);
}
