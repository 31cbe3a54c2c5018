// AdamW against a scalar reference written out here, weight decay only where ParamSpec::decays,
// Muon's orthogonalised update, the schedule and the gradient-norm helpers.
#include <gtest/gtest.h>

#include <cmath>

#include "hermes/optim/optimizer.hpp"

using hermes::model::ParamSlot;
using hermes::model::ParamSpec;
using namespace hermes::optim;

namespace {
std::vector<ParamSlot> slots_2() {
  return {{ParamSpec{"emb", {2, 3}, false, false}, 0}, {ParamSpec{"layers.0.w", {3, 2}, true, true}, 6}};
}
}  // namespace

TEST(OptimAdamW, MatchesScalarReferenceAndDecaysOnlyFlaggedTensors) {
  const auto slots = slots_2();
  Settings s;
  s.lr = 0.01;
  s.weight_decay = 0.5;
  Optimizer opt(slots, 12, s);
  std::vector<float> p(12), g(12);
  std::vector<double> rp(12), rm(12, 0), rv(12, 0);
  for (int i = 0; i < 12; ++i) rp[i] = p[i] = 0.1f * static_cast<float>(i - 5);
  for (int step = 1; step <= 3; ++step) {
    for (int i = 0; i < 12; ++i) g[i] = std::sin(1.0f + static_cast<float>(i * step));
    const double f = 0.5 + 0.1 * step;
    opt.update(p.data(), g.data(), step, f);
    for (int i = 0; i < 12; ++i) {
      const double lr = s.lr * f;
      rm[i] = 0.9 * rm[i] + 0.1 * g[i];
      rv[i] = 0.95 * rv[i] + 0.05 * static_cast<double>(g[i]) * g[i];
      const double mh = rm[i] / (1 - std::pow(0.9, step)), vh = rv[i] / (1 - std::pow(0.95, step));
      if (i >= 6) rp[i] -= lr * 0.5 * rp[i];
      rp[i] -= lr * mh / (std::sqrt(vh) + 1e-8);
    }
  }
  for (int i = 0; i < 12; ++i) EXPECT_NEAR(p[i], rp[i], 1e-6) << i;
  EXPECT_EQ(opt.state().size(), 4u);  // m and v for each tensor
}

TEST(OptimMuon, OrthogonalisesHiddenMatricesAndUsesAdamWElsewhere) {
  std::vector<ParamSlot> slots = {{ParamSpec{"emb", {4, 2}, false, false}, 0},
                                  {ParamSpec{"layers.0.w", {6, 4}, true, false}, 8}};
  Settings s;
  s.name = "muon";
  s.muon_lr = 1.0;
  s.muon_momentum = 0.0;  // update = orthogonalised gradient
  Optimizer opt(slots, 32, s);
  std::vector<float> p(32, 0.0f), g(32);
  for (int i = 0; i < 32; ++i) g[i] = std::cos(0.7f * static_cast<float>(i * i + 1));
  opt.update(p.data(), g.data(), 1, 1.0);
  // W = -sqrt(6/4) * O with O (6x4) nearly orthonormal columns: O^T O ~ I (NS's quintic lands
  // singular values in about [0.7, 1.2]).
  // Every Rayleigh quotient u^T (O^T O) u of a unit u lies between the extreme squared singular
  // values, so it must land in [0.45, 1.5] for random directions u.
  const double sc = std::sqrt(6.0 / 4.0);
  double M[4][4];
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b) {
      M[a][b] = 0;
      for (int r = 0; r < 6; ++r) M[a][b] += (p[8 + r * 4 + a] / -sc) * (p[8 + r * 4 + b] / -sc);
    }
  for (int trial = 0; trial < 20; ++trial) {
    double u[4], nn = 0;
    for (int a = 0; a < 4; ++a) nn += (u[a] = std::sin(1.3 * (trial + 1) * (a + 1) + trial));
    nn = 0;
    for (double x : u) nn += x * x;
    double q = 0;
    for (int a = 0; a < 4; ++a)
      for (int b = 0; b < 4; ++b) q += u[a] * M[a][b] * u[b] / nn;
    EXPECT_GT(q, 0.45) << trial;
    EXPECT_LT(q, 1.5) << trial;
  }
  // The update points against the gradient.
  double inner = 0;
  for (int i = 8; i < 32; ++i) inner += p[i] * g[i];
  EXPECT_LT(inner, 0.0);
  // State: m, v for the embedding, momentum for the matrix.
  const auto st = opt.state();
  ASSERT_EQ(st.size(), 3u);
  EXPECT_EQ(st[2].name, "momentum");
  EXPECT_EQ(opt.state_bytes(), (32 + 8) * sizeof(float));
}

TEST(OptimSchedule, WarmupCosineAndFloor) {
  const LrSchedule cosine{Schedule::cosine, 10, 0.1};
  EXPECT_DOUBLE_EQ(cosine.factor(0, 100), 0.1);
  EXPECT_DOUBLE_EQ(cosine.factor(9, 100), 1.0);
  EXPECT_DOUBLE_EQ(cosine.factor(10, 100), 1.0);
  EXPECT_NEAR(cosine.factor(55, 100), 0.55, 1e-12);
  EXPECT_NEAR(cosine.factor(100, 100), 0.1, 1e-12);
  EXPECT_NEAR(cosine.factor(500, 100), 0.1, 1e-12);
  EXPECT_DOUBLE_EQ((LrSchedule{Schedule::constant, 10, 0.1}).factor(50, 100), 1.0);
}

TEST(OptimSchedule, WsdHoldsFullRateThenDecaysLinearly) {
  // 10 warmup steps, then 90: full rate for 60% of them (to step 64), a line to 0.2 by step 100.
  const LrSchedule wsd{Schedule::wsd, 10, 0.2, 0.4};
  EXPECT_DOUBLE_EQ(wsd.factor(4, 100), 0.5);
  EXPECT_DOUBLE_EQ(wsd.factor(10, 100), 1.0);
  EXPECT_DOUBLE_EQ(wsd.factor(64, 100), 1.0);
  EXPECT_NEAR(wsd.factor(82, 100), 0.6, 1e-12);  // halfway down the 36-step decay
  EXPECT_NEAR(wsd.factor(100, 100), 0.2, 1e-12);
  EXPECT_NEAR(wsd.factor(150, 100), 0.2, 1e-12);
  EXPECT_EQ(schedule_named("wsd"), Schedule::wsd);
  EXPECT_EQ(schedule_named("constant"), Schedule::constant);
  EXPECT_EQ(schedule_named("cosine"), Schedule::cosine);
}

TEST(OptimHelpers, NormScaleAndFiniteCheck) {
  std::vector<float> v = {3.0f, 4.0f, 0.0f};
  EXPECT_DOUBLE_EQ(global_norm(v.data(), 3), 5.0);
  scale(v.data(), 3, 0.5f);
  EXPECT_FLOAT_EQ(v[1], 2.0f);
  EXPECT_TRUE(all_finite(v.data(), 3));
  v[2] = std::nanf("");
  EXPECT_FALSE(all_finite(v.data(), 3));
  v[2] = INFINITY;
  EXPECT_FALSE(all_finite(v.data(), 3));
}
