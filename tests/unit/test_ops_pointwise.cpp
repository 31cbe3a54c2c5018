// Finite-difference checks (double) of embedding, rmsnorm, linear, gelu, swiglu, residual and smear,
// plus the float kernels against the double ones.
#include <algorithm>
#include <cmath>

#include "hermes/backend/ops.hpp"
#include "ops_check.hpp"

using namespace hermes::backend::host;
using namespace hermes::testing;

TEST(OpsEmbedding, BackwardScattersAndAccumulates) {
  const Index N = 7, C = 40, V = 5;  // repeated tokens exercise the accumulation
  std::vector<std::int32_t> tok = {0, 3, 3, 1, 4, 0, 3};
  auto wte = randn(V * C, 1), R = randn(N * C, 2);
  std::vector<double> out(N * C);
  auto loss = [&] {
    embedding_forward(out.data(), tok.data(), wte.data(), N, C);
    return dot(out, R);
  };
  std::vector<double> dwte(V * C, 0.5);  // pre-filled: the op must add, not overwrite
  embedding_backward(dwte.data(), R.data(), tok.data(), N, C);
  for (auto& g : dwte) g -= 0.5;
  check_grad("dwte", wte, dwte, loss);
}

TEST(OpsRmsnorm, BackwardMatchesFiniteDifferences) {
  const Index N = 6, C = 37;
  auto x = randn(N * C, 3), w = randn(C, 4), R = randn(N * C, 5);
  std::vector<double> out(N * C), rstd(N);
  auto loss = [&] {
    rmsnorm_forward(out.data(), rstd.data(), x.data(), w.data(), N, C, 1e-5);
    return dot(out, R);
  };
  loss();
  std::vector<double> dx(N * C, 0.25), dw(C, -1.0);
  rmsnorm_backward(dx.data(), dw.data(), R.data(), x.data(), w.data(), rstd.data(), N, C);
  for (auto& g : dx) g -= 0.25;
  for (auto& g : dw) g += 1.0;
  check_grad("dx", x, dx, loss);
  check_grad("dw", w, dw, loss);
  // Independent forward: mean square of out / w^2 per row is 1 / (1 + eps/ms) ~ 1.
  std::vector<float> of(N * C), rf(N);
  auto xf = to_float(x), wf = to_float(w);
  rmsnorm_forward(of.data(), rf.data(), xf.data(), wf.data(), N, C, 1e-5);
  expect_float_matches("rmsnorm float", of, out);
}

TEST(OpsLinear, BackwardMatchesFiniteDifferencesWithAndWithoutBias) {
  const Index N = 5, IC = 9, OC = 7;
  for (bool with_bias : {true, false}) {
    auto x = randn(N * IC, 6), w = randn(OC * IC, 7), b = randn(OC, 8), R = randn(N * OC, 9);
    std::vector<double> out(N * OC);
    auto loss = [&] {
      linear_forward(out.data(), x.data(), w.data(), with_bias ? b.data() : nullptr, N, IC, OC);
      return dot(out, R);
    };
    loss();
    // Independent check of the forward: out[0,0] by hand.
    double ref = with_bias ? b[0] : 0.0;
    for (Index i = 0; i < IC; ++i) ref += x[i] * w[i];
    EXPECT_NEAR(out[0], ref, 1e-12);
    std::vector<double> dx(N * IC, 9.0), dw(OC * IC, 1.0), db(OC, 2.0);
    linear_backward(dx.data(), dw.data(), with_bias ? db.data() : nullptr, R.data(), x.data(), w.data(), N, IC, OC);
    for (auto& g : dw) g -= 1.0;
    for (auto& g : db) g -= 2.0;
    check_grad("dx", x, dx, loss);
    check_grad("dw", w, dw, loss);
    if (with_bias) check_grad("db", b, db, loss);
  }
}

TEST(OpsGelu, BackwardMatchesFiniteDifferences) {
  const Index n = 200;
  auto x = randn(n, 10, 2.0), R = randn(n, 11);
  std::vector<double> out(n);
  auto loss = [&] {
    gelu_forward(out.data(), x.data(), n);
    return dot(out, R);
  };
  loss();
  EXPECT_NEAR(out[0], 0.5 * x[0] * (1 + std::tanh(std::sqrt(2 / M_PI) * (x[0] + 0.044715 * std::pow(x[0], 3)))), 1e-14);
  std::vector<double> dx(n);
  gelu_backward(dx.data(), x.data(), R.data(), n);
  check_grad("dx", x, dx, loss);
}

TEST(OpsSwiglu, BackwardMatchesFiniteDifferences) {
  const Index n = 150;
  auto g = randn(n, 12, 2.0), u = randn(n, 13), R = randn(n, 14);
  std::vector<double> out(n);
  auto loss = [&] {
    swiglu_forward(out.data(), g.data(), u.data(), n);
    return dot(out, R);
  };
  loss();
  EXPECT_NEAR(out[3], g[3] / (1 + std::exp(-g[3])) * u[3], 1e-14);
  std::vector<double> dg(n), du(n);
  swiglu_backward(dg.data(), du.data(), g.data(), u.data(), R.data(), n);
  check_grad("dgate", g, dg, loss);
  check_grad("dup", u, du, loss);
}

// Two windows of 5; the second holds a new document from position 3, where the shift stops.
TEST(OpsSmear, BackwardMatchesFiniteDifferencesAcrossWindowsAndDocuments) {
  const Index B = 2, S = 5, C = 6, N = B * S;
  const std::vector<std::int32_t> starts = {0, 0, 0, 0, 0, 0, 0, 0, 3, 3};
  auto e = randn(N * C, 21), w = randn(C, 22, 0.7), R = randn(N * C, 23);
  std::vector<double> out(N * C), gate(N);
  auto loss = [&] {
    smear_forward(out.data(), gate.data(), e.data(), w.data(), starts.data(), B, S, C);
    return dot(out, R);
  };
  loss();
  for (Index n : {0, 5, 8}) {  // window and document starts: no share of the position before
    EXPECT_EQ(gate[n], 0.0) << n;
    for (Index c = 0; c < C; ++c) EXPECT_EQ(out[n * C + c], e[n * C + c]);
  }
  const std::vector<double> en(e.begin() + 4 * C, e.begin() + 5 * C);
  const double g4 = 1 / (1 + std::exp(-dot(w, en)));
  EXPECT_NEAR(gate[4], g4, 1e-15);
  EXPECT_NEAR(out[4 * C + 2], e[4 * C + 2] + g4 * e[3 * C + 2], 1e-14);
  std::vector<double> de(N * C, 9.0), dw(C, 0.5), dz(N);  // de is written, dw accumulates
  smear_backward(de.data(), dw.data(), dz.data(), R.data(), e.data(), gate.data(), w.data(), B, S, C);
  for (auto& g : dw) g -= 0.5;
  check_grad("demb", e, de, loss);
  check_grad("dw", w, dw, loss);
  // Decoding rows give the same shift as the window.
  loss();  // out again at the unperturbed inputs
  std::vector<double> x(e.begin() + 6 * C, e.begin() + 8 * C), prev(e.begin() + 5 * C, e.begin() + 7 * C);
  const std::vector<std::uint8_t> has_prev = {1, 1};
  smear_rows_forward(x.data(), prev.data(), has_prev.data(), w.data(), 2, C);
  for (Index i = 0; i < 2 * C; ++i) EXPECT_NEAR(x[i], out[6 * C + i], 1e-14);
}

TEST(OpsResidual, AddsElementwise) {
  auto a = randn(33, 15), b = randn(33, 16);
  std::vector<double> out(33);
  residual_forward(out.data(), a.data(), b.data(), 33);
  for (int i = 0; i < 33; ++i) EXPECT_EQ(out[i], a[i] + b[i]);
}

// exp_fast (the softmax passes' exp) against the library's exp: relative error within 4e-7 over
// the range it serves, the clamped ends finite and positive, and exp(0) exactly 1.
TEST(OpsExpFast, MatchesExpAcrossTheRange) {
  double worst = 0;
  for (double x = -87.0; x <= 88.0; x += 0.00731) {
    const float xf = static_cast<float>(x);
    const double want = std::exp(static_cast<double>(xf));
    worst = std::max(worst, std::abs(static_cast<double>(exp_fast(xf)) - want) / want);
  }
  EXPECT_LT(worst, 4e-7);
  EXPECT_EQ(exp_fast(0.0f), 1.0f);
  for (const float x : {-1e30f, -200.0f, -87.3f}) {
    EXPECT_GT(exp_fast(x), 0.0f) << x;
    EXPECT_LT(exp_fast(x), 1e-37f) << x;
  }
  EXPECT_TRUE(std::isfinite(exp_fast(1e30f)));
  EXPECT_GT(exp_fast(1e30f), 1e38f);
  EXPECT_TRUE(std::isnan(exp_fast(std::nanf(""))));
}
