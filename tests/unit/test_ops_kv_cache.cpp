// The decoding ops against the training ops they must agree with: RoPE at explicit positions
// equals rope_forward, and attention against a K/V cache filled in pieces (a prefill of several
// rows, then one row at a time, two sequences interleaved) equals causal attention_forward.
#include "hermes/backend/ops.hpp"
#include "ops_check.hpp"

using namespace hermes::backend::host;
using namespace hermes::testing;

TEST(OpsKvCache, RopeAtPositionsMatchesRopeForward) {
  const Index B = 1, T = 7, H = 4, KVH = 2, D = 8, W = (H + 2 * KVH) * D;
  std::vector<double> cs(T * D / 2), sn(T * D / 2);
  rope_table(cs.data(), sn.data(), T, D, 10000.0);
  const auto x = randn(B * T * W, 5);
  auto ref = x;
  rope_forward(ref.data(), cs.data(), sn.data(), B, T, H, KVH, D);
  // Rows given out of order, each with its own position.
  std::vector<std::int32_t> pos = {6, 0, 3, 1, 5, 2, 4};
  std::vector<double> rows(T * W);
  for (Index r = 0; r < T; ++r)
    for (Index i = 0; i < W; ++i) rows[r * W + i] = x[pos[r] * W + i];
  rope_at_forward(rows.data(), cs.data(), sn.data(), pos.data(), T, H, KVH, D);
  for (Index r = 0; r < T; ++r)
    for (Index i = 0; i < W; ++i) EXPECT_NEAR(rows[r * W + i], ref[pos[r] * W + i], 1e-12) << r << "," << i;
}

TEST(OpsKvCache, CachedAttentionMatchesFullCausalAttention) {
  for (const Index KVH : {Index(4), Index(2), Index(1)}) {
    const Index B = 2, T = 9, H = 4, D = 6, W = (H + 2 * KVH) * D, C = H * D, L = 12;
    const auto qkv = randn(B * T * W, 11 + KVH);
    std::vector<double> ref(B * T * C), lse(B * H * T), scratch(attention_scratch_elems(T));
    attention_forward(ref.data(), lse.data(), qkv.data(), B, T, H, KVH, D, scratch.data());
    // Two slots (sequence b in slot 1 - b); sequence 0 prefilled 4 rows, sequence 1 prefilled 2;
    // then steps of one row per sequence until both reach T.
    std::vector<double> kc(2 * L * KVH * D, 0.0), vc(2 * L * KVH * D, 0.0), scores(T * H * L);
    std::vector<double> got(B * T * C, -1.0);
    Index len[2] = {0, 0};
    auto feed = [&](const std::vector<std::pair<Index, Index>>& rows) {  // (sequence, count)
      std::vector<std::int32_t> slot, pos;
      std::vector<double> in, out;
      for (auto [b, n] : rows)
        for (Index k = 0; k < n && len[b] < T; ++k) {
          const Index t = len[b]++;
          slot.push_back(static_cast<std::int32_t>(1 - b));
          pos.push_back(static_cast<std::int32_t>(t));
          in.insert(in.end(), qkv.begin() + (b * T + t) * W, qkv.begin() + (b * T + t + 1) * W);
        }
      const Index R = static_cast<Index>(slot.size());
      if (R == 0) return;
      out.resize(R * C);
      kv_cache_write(kc.data(), vc.data(), in.data(), slot.data(), pos.data(), R, L, H, KVH, D);
      cached_attention_forward(out.data(), scores.data(), in.data(), kc.data(), vc.data(), slot.data(), pos.data(), R,
                               L, H, KVH, D);
      for (Index r = 0; r < R; ++r) {
        const Index b = 1 - slot[r], t = pos[r];
        for (Index i = 0; i < C; ++i) got[(b * T + t) * C + i] = out[r * C + i];
      }
    };
    feed({{0, 4}, {1, 2}});
    while (len[0] < T || len[1] < T) feed({{0, 1}, {1, 1}});
    for (std::size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(got[i], ref[i], 1e-12) << "KVH " << KVH << " at " << i;
  }
}
