// Gradient buckets and ZeRO-1 shards: the arithmetic the NCCL path relies on, checked on the host.
#include <gtest/gtest.h>

#include <numeric>

#include "hermes/dist/buckets.hpp"

namespace d = hermes::dist;

TEST(Buckets, TileTheArenaFromTheEndAtTensorBoundaries) {
  const std::vector<std::int64_t> begins{0, 10, 25, 40, 100, 103};
  const std::int64_t total = 150;
  const auto plan = d::plan_buckets(begins, total, 30);
  ASSERT_FALSE(plan.empty());
  // Issue order: descending, contiguous, covering [0, total).
  EXPECT_EQ(plan.front().end, total);
  EXPECT_EQ(plan.back().begin, 0);
  for (std::size_t i = 1; i < plan.size(); ++i) EXPECT_EQ(plan[i].end, plan[i - 1].begin);
  for (const auto& b : plan) {
    EXPECT_NE(std::find(begins.begin(), begins.end(), b.begin), begins.end()) << "cut inside a tensor";
    EXPECT_GE(b.size(), 30);
  }
  // By hand: [103,150) is 47 >= 30; [40,103) 63; [10,40) reaches 30 but would leave [0,10)
  // alone, so the start joins it: [0,40).
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0].begin, 103);
  EXPECT_EQ(plan[1].begin, 40);
  EXPECT_EQ(plan[2].begin, 0);
}

TEST(Buckets, OneBucketWhenTargetExceedsArena) {
  const auto plan = d::plan_buckets({0, 5, 9}, 12, 1000);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].begin, 0);
  EXPECT_EQ(plan[0].end, 12);
}

TEST(Buckets, ReadyOnlyWhenEveryGradientInsideIsFinal) {
  const auto plan = d::plan_buckets({0, 10, 25, 40, 100, 103}, 150, 30);
  std::size_t next = 0;
  EXPECT_TRUE(d::buckets_ready(plan, 120, next).empty());  // [103,150) not complete yet
  auto r = d::buckets_ready(plan, 103, next);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0], 0u);
  r = d::buckets_ready(plan, 0, next);  // backward done: the rest, in order
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], 1u);
  EXPECT_EQ(r[1], 2u);
  EXPECT_TRUE(d::buckets_ready(plan, 0, next).empty());  // never twice
}

TEST(Zero1, ShardsAreEqualPaddedAndDisjoint) {
  for (const int world : {1, 2, 3, 8}) {
    const std::int64_t total = 1000003;
    std::int64_t owned = 0, prev_end = 0;
    for (int r = 0; r < world; ++r) {
      const auto s = d::shard_for(total, world, r, 16);
      EXPECT_EQ(s.padded_total % (world * 16), 0);
      EXPECT_GE(s.padded_total, total);
      EXPECT_LT(s.padded_total - total, world * 16);
      EXPECT_EQ(s.shard_size * world, s.padded_total);
      EXPECT_EQ(s.begin, prev_end);
      prev_end = s.end;
      owned += s.owned_end - s.owned_begin;
    }
    EXPECT_EQ(prev_end, d::shard_for(total, world, 0, 16).padded_total);
    EXPECT_EQ(owned, total) << "world " << world;
  }
}

TEST(Zero1, PiecesClipTensorsToTheShard) {
  const std::vector<std::int64_t> begins{0, 10, 30}, sizes{10, 20, 5};
  const auto p = d::pieces_in(begins, sizes, 5, 32);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].tensor, 0u);
  EXPECT_EQ(p[0].begin, 5);
  EXPECT_EQ(p[0].end, 10);
  EXPECT_EQ(p[1].begin, 10);
  EXPECT_EQ(p[1].end, 30);
  EXPECT_EQ(p[2].begin, 30);
  EXPECT_EQ(p[2].end, 32);
  EXPECT_TRUE(d::pieces_in(begins, sizes, 35, 40).empty());
}
