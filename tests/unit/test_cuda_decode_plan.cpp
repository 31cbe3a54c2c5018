// Host-side planning of the GPU cached attention (no GPU needed): the chunks of a row's positions
// cover every position exactly once, each chunk the merge reads holds keys, few rows split and
// many rows do not, and the workspace holds every split call up to max_rows.
#include <gtest/gtest.h>

#include "hermes/backend/cuda/decode_plan.hpp"

namespace c = hermes::backend::cuda;

TEST(CudaDecodePlan, ChunksCoverEveryPositionOnce) {
  for (std::int64_t L : {1, 31, 32, 64, 127, 129, 255, 256, 300, 1024, 2048, 4097})
    for (std::int64_t R : {1, 2, 8, 33, 300})
      for (std::int64_t KVH : {1, 4, 12}) {
        const auto p = c::cached_attention_plan(R, L, KVH);
        ASSERT_GE(p.splits, 1);
        ASSERT_EQ(p.split_len % c::kDecodeTile, 0) << "chunks are whole tiles";
        ASSERT_GE(p.splits * p.split_len, L) << "L " << L << " R " << R;
        ASSERT_LT((p.splits - 1) * p.split_len, L) << "no chunk starts past the context";
        if (p.splits > 1) ASSERT_GE(p.split_len, c::kDecodeMinSplit);
        for (std::int64_t pos : {std::int64_t{0}, L / 3, L - 1}) {
          const std::int64_t used = c::cached_attention_used_splits(pos, p.split_len);
          // chunks 0..used-1 hold keys (their start <= pos), chunk `used` would not, and the
          // used chunks' ranges reach pos
          ASSERT_GE(used, 1);
          ASSERT_LE(used, p.splits);
          ASSERT_LE((used - 1) * p.split_len, pos);
          ASSERT_GT(used * p.split_len, pos);
        }
      }
}

TEST(CudaDecodePlan, DecodeSplitsPrefillDoesNot) {
  // GPT-2 small decoding, context 1024: batch 1 and 8 split the positions, a prefill does not.
  EXPECT_EQ(c::cached_attention_plan(1, 1024, 12).splits, 8);
  EXPECT_GT(c::cached_attention_plan(8, 1024, 12).splits, 1);
  EXPECT_EQ(c::cached_attention_plan(512, 1024, 12).splits, 1);
  // Short contexts never make chunks shorter than the minimum.
  EXPECT_EQ(c::cached_attention_plan(1, 100, 1).splits, 1);
}

TEST(CudaDecodePlan, WorkspaceHoldsEverySplitCall) {
  const std::int64_t L = 1024, H = 12, KVH = 4, D = 64, max_rows = 256;
  const std::int64_t ws = c::cached_attention_workspace(max_rows, L, H, KVH, D);
  bool any = false;
  for (std::int64_t R = 1; R <= max_rows; ++R) {
    const auto p = c::cached_attention_plan(R, L, KVH);
    if (p.splits == 1) continue;
    any = true;
    EXPECT_LE(R * H * p.splits * (D + 2), ws) << "R " << R;
  }
  EXPECT_TRUE(any);
  EXPECT_EQ(c::cached_attention_workspace(max_rows, 100, H, KVH, D), 0) << "nothing splits a 100-position context";
}
