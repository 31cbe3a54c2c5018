#pragma once
// Finite-difference helpers for the op tests: every op's backward is checked against central
// differences of the scalar L = sum(out * R) in double precision, R random (so dout = R).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <vector>

namespace hermes::testing {

inline std::vector<double> randn(std::size_t n, std::uint64_t seed, double scale = 1.0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> d(0.0, scale);
  std::vector<double> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

inline double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// Compares analytic[i] with d loss / d x[i] for every i (or a strided sample of large tensors).
inline void check_grad(const char* what, std::vector<double>& x, const std::vector<double>& analytic,
                       const std::function<double()>& loss, double tol = 1e-6, std::size_t max_checks = 400) {
  ASSERT_EQ(x.size(), analytic.size()) << what;
  const std::size_t stride = x.size() > max_checks ? x.size() / max_checks + 1 : 1;
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); i += stride) {
    const double h = 1e-5, old = x[i];
    x[i] = old + h;
    const double lp = loss();
    x[i] = old - h;
    const double lm = loss();
    x[i] = old;
    const double num = (lp - lm) / (2 * h);
    const double err = std::abs(num - analytic[i]) / std::max(1.0, std::abs(num));
    worst = std::max(worst, err);
    EXPECT_LT(err, tol) << what << "[" << i << "]: analytic " << analytic[i] << " numeric " << num;
    if (err >= tol) return;  // one message per tensor is enough
  }
  EXPECT_LT(worst, tol) << what;
}

inline std::vector<float> to_float(const std::vector<double>& v) { return {v.begin(), v.end()}; }

inline void expect_float_matches(const char* what, const std::vector<float>& f, const std::vector<double>& d,
                                 double tol = 1e-4) {
  ASSERT_EQ(f.size(), d.size());
  for (std::size_t i = 0; i < f.size(); ++i) {
    ASSERT_NEAR(f[i], d[i], tol * std::max(1.0, std::abs(d[i]))) << what << "[" << i << "]";
  }
}

}  // namespace hermes::testing
