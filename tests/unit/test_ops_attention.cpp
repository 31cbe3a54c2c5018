// Finite-difference checks (double) of RoPE and causal attention (multi-head and grouped-query),
// and the forward against a direct, loop-based evaluation.
#include <cmath>

#include "hermes/backend/ops.hpp"
#include "ops_check.hpp"

using namespace hermes::backend::host;
using namespace hermes::testing;

TEST(OpsRope, BackwardIsTheTransposeAndForwardRotates) {
  const Index B = 2, T = 5, H = 2, KVH = 1, D = 6, W = (H + 2 * KVH) * D;
  std::vector<double> cs(T * D / 2), sn(T * D / 2);
  rope_table(cs.data(), sn.data(), T, D, 10000.0);
  auto x = randn(B * T * W, 20), R = randn(B * T * W, 21);
  std::vector<double> y;
  auto loss = [&] {
    y = x;
    rope_forward(y.data(), cs.data(), sn.data(), B, T, H, KVH, D);
    return dot(y, R);
  };
  loss();
  // Position 3, head 1, pair 1 by hand; v (the last D columns) untouched.
  const Index row = 3, i = 1, half = D / 2;
  const double ang = 3.0 * std::pow(10000.0, -2.0 * i / D);
  const double x1 = x[row * W + D + i], x2 = x[row * W + D + i + half];
  EXPECT_NEAR(y[row * W + D + i], x1 * std::cos(ang) - x2 * std::sin(ang), 1e-12);
  EXPECT_NEAR(y[row * W + D + i + half], x1 * std::sin(ang) + x2 * std::cos(ang), 1e-12);
  EXPECT_EQ(y[row * W + W - 1], x[row * W + W - 1]);
  auto dx = R;
  rope_backward(dx.data(), cs.data(), sn.data(), B, T, H, KVH, D);
  check_grad("dx", x, dx, loss);
}

namespace {
// Straightforward attention for one (b, h): the independent reference for the forward.
// doc_start (B, T) or nullptr: row t sees keys [doc_start[t], t].
std::vector<double> naive_attention(const std::vector<double>& qkv, Index B, Index T, Index H, Index KVH, Index D,
                                    std::vector<double>& lse, const std::int32_t* doc_start = nullptr) {
  const Index W = (H + 2 * KVH) * D, C = H * D;
  std::vector<double> out(B * T * C, 0.0);
  lse.assign(B * H * T, 0.0);
  for (Index b = 0; b < B; ++b)
    for (Index h = 0; h < H; ++h) {
      const Index g = h / (H / KVH);
      for (Index t = 0; t < T; ++t) {
        const Index first = doc_start ? doc_start[b * T + t] : 0;
        std::vector<double> s(t + 1, -1e300);
        double mx = -1e300;
        for (Index j = first; j <= t; ++j) {
          double d = 0;
          for (Index k = 0; k < D; ++k) d += qkv[(b * T + t) * W + h * D + k] * qkv[(b * T + j) * W + C + g * D + k];
          s[j] = d / std::sqrt(static_cast<double>(D));
          mx = std::max(mx, s[j]);
        }
        double z = 0;
        for (Index j = first; j <= t; ++j) z += (s[j] = std::exp(s[j] - mx));
        lse[(b * H + h) * T + t] = mx + std::log(z);
        for (Index j = first; j <= t; ++j)
          for (Index k = 0; k < D; ++k)
            out[(b * T + t) * C + h * D + k] += s[j] / z * qkv[(b * T + j) * W + C + KVH * D + g * D + k];
      }
    }
  return out;
}
}  // namespace

// (KV heads, sequence length): T = 70 spans two causal row blocks of the kernels, 130 three.
class OpsAttention : public ::testing::TestWithParam<std::pair<Index, Index>> {};

TEST_P(OpsAttention, ForwardMatchesLoopsAndBackwardMatchesFiniteDifferences) {
  const Index B = 2, T = GetParam().second, H = 4, KVH = GetParam().first, D = 4, W = (H + 2 * KVH) * D, C = H * D;
  auto qkv = randn(B * T * W, 30 + KVH), R = randn(B * T * C, 40);
  std::vector<double> out(B * T * C), lse(B * H * T), scratch(attention_scratch_elems(T));
  std::fill(scratch.begin(), scratch.end(), 1e30);  // garbage: nothing may be read before written
  auto loss = [&] {
    attention_forward(out.data(), lse.data(), qkv.data(), B, T, H, KVH, D, scratch.data());
    return dot(out, R);
  };
  loss();
  std::vector<double> ref_lse;
  const auto ref = naive_attention(qkv, B, T, H, KVH, D, ref_lse);
  for (std::size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(out[i], ref[i], 1e-12) << i;
  for (std::size_t i = 0; i < ref_lse.size(); ++i) ASSERT_NEAR(lse[i], ref_lse[i], 1e-12) << i;
  std::vector<double> dqkv(B * T * W, 7.0);  // garbage: the op must overwrite all of it
  attention_backward(dqkv.data(), scratch.data(), R.data(), qkv.data(), lse.data(), B, T, H, KVH, D);
  check_grad("dqkv", qkv, dqkv, loss);

  std::vector<float> of(out.size()), lf(lse.size()), sf(scratch.size());
  auto qf = to_float(qkv);
  attention_forward(of.data(), lf.data(), qf.data(), B, T, H, KVH, D, sf.data());
  expect_float_matches("attention float", of, out);
  expect_float_matches("attention float lse", lf, lse);
}

INSTANTIATE_TEST_SUITE_P(HeadsAndGroups, OpsAttention,
                         ::testing::Values(std::pair<Index, Index>{4, 6}, std::pair<Index, Index>{2, 6},
                                           std::pair<Index, Index>{1, 6}, std::pair<Index, Index>{2, 70},
                                           std::pair<Index, Index>{1, 130}));

// Packed documents: each row attends inside its own document only. Window 0 has documents
// starting at 0, 5, 40, 64 (a row block's edge), 65 (one token) and 100; window 1 starts inside
// a document that began before it, then 63 and 129 (the last position).
TEST(OpsAttention, DocumentStartsKeepRowsInsideTheirDocument) {
  const Index B = 2, T = 130, H = 2, KVH = 1, D = 4, W = (H + 2 * KVH) * D, C = H * D;
  std::vector<std::int32_t> starts(B * T);
  auto fill = [&](Index b, std::vector<std::int32_t> firsts) {
    for (Index t = 0; t < T; ++t) {
      std::int32_t s = 0;
      for (auto f : firsts)
        if (f <= t) s = f;
      starts[b * T + t] = s;
    }
  };
  fill(0, {0, 5, 40, 64, 65, 100});
  fill(1, {0, 63, 129});
  auto qkv = randn(B * T * W, 77), R = randn(B * T * C, 78);
  std::vector<double> out(B * T * C), lse(B * H * T), scratch(attention_scratch_elems(T));
  std::fill(scratch.begin(), scratch.end(), 1e30);
  auto loss = [&] {
    attention_forward(out.data(), lse.data(), qkv.data(), B, T, H, KVH, D, scratch.data(), starts.data());
    return dot(out, R);
  };
  loss();
  std::vector<double> ref_lse, plain_lse;
  const auto ref = naive_attention(qkv, B, T, H, KVH, D, ref_lse, starts.data());
  for (std::size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(out[i], ref[i], 1e-12) << i;
  for (std::size_t i = 0; i < ref_lse.size(); ++i) ASSERT_NEAR(lse[i], ref_lse[i], 1e-12) << i;
  // The mask must change something: a row after a document start differs from plain causal.
  const auto plain = naive_attention(qkv, B, T, H, KVH, D, plain_lse);
  EXPECT_GT(std::abs(out[70 * C] - plain[70 * C]), 1e-6);
  // A one-token document attends to itself only: its output is its own value row.
  for (Index k = 0; k < D; ++k) EXPECT_NEAR(out[64 * C + k], qkv[64 * W + C + KVH * D + k], 1e-12);
  std::vector<double> dqkv(B * T * W, 7.0);
  attention_backward(dqkv.data(), scratch.data(), R.data(), qkv.data(), lse.data(), B, T, H, KVH, D, starts.data());
  check_grad("dqkv", qkv, dqkv, loss);

  std::vector<float> of(out.size()), lf(lse.size()), sf(scratch.size());
  auto qf = to_float(qkv);
  attention_forward(of.data(), lf.data(), qf.data(), B, T, H, KVH, D, sf.data(), starts.data());
  expect_float_matches("attention float, documents", of, out);
}
