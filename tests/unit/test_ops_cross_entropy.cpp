// The fused softmax-cross-entropy: loss, accuracy and mask against a direct computation, and the
// logits gradient against finite differences of the masked loss sum.
#include <cmath>

#include "hermes/backend/ops.hpp"
#include "ops_check.hpp"

using namespace hermes::backend::host;
using namespace hermes::testing;

TEST(OpsCrossEntropy, LossAccuracyAndGradient) {
  const Index N = 6, V = 11;
  auto z = randn(N * V, 50, 3.0);
  std::vector<std::int32_t> y = {1, 0, 10, 5, 5, 3};
  std::vector<std::uint8_t> mask = {1, 1, 0, 1, 1, 1};
  z[3 * V + 5] = 20.0;  // row 3 predicts its target for sure: counts as correct
  std::vector<double> rl(N);
  std::vector<std::int32_t> rc(N);
  auto loss = [&] {
    auto tmp = z;
    return cross_entropy_forward_backward(tmp.data(), rl.data(), rc.data(), y.data(), mask.data(), N, V, 1.0, false)
        .loss_sum;
  };
  double ref = 0;
  std::int64_t correct = 0;
  for (Index n = 0; n < N; ++n) {
    if (!mask[n]) continue;
    double mx = -1e300, s = 0;
    Index arg = 0;
    for (Index v = 0; v < V; ++v)
      if (z[n * V + v] > mx) mx = z[n * V + v], arg = v;
    for (Index v = 0; v < V; ++v) s += std::exp(z[n * V + v]);
    ref += std::log(s) - z[n * V + y[n]];
    correct += arg == y[n];
  }
  auto g = z;
  const auto st =
      cross_entropy_forward_backward(g.data(), rl.data(), rc.data(), y.data(), mask.data(), N, V, 1.0, true);
  EXPECT_NEAR(st.loss_sum, ref, 1e-10);
  EXPECT_EQ(st.correct, correct);
  EXPECT_GE(st.correct, 1);
  EXPECT_EQ(st.count, 5);
  check_grad("dlogits", z, g, loss);
  for (Index v = 0; v < V; ++v) EXPECT_EQ(g[2 * V + v], 0.0);  // masked row: no gradient

  // Float path and grad_scale.
  auto zf = to_float(z);
  std::vector<float> rlf(N);
  const auto sf =
      cross_entropy_forward_backward(zf.data(), rlf.data(), rc.data(), y.data(), mask.data(), N, V, 0.5f, true);
  EXPECT_NEAR(sf.loss_sum, ref, 1e-4);
  for (std::size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(zf[i], 0.5 * g[i], 1e-6);
}
