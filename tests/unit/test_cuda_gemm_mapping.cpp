// Context's row-major -> column-major GEMM mapping (gemm_mapping.hpp), checked on the CPU: a
// small emulator follows cuBLAS's documented column-major contract (stored rows x cols with a
// leading dimension, op applied after) and its result, read back row-major, must equal a plain
// row-major reference, for every transpose pair, padded leading dimensions, and the argument
// lists the CUDA ops pass (linear forward/backward, the tied head's padded logits, attention).
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "hermes/backend/cuda/gemm_mapping.hpp"

namespace {

namespace c = hermes::backend::cuda;
using I = std::int64_t;

// Element (i, j) of op(X) for an operand the library reads column-major.
double op_at(const c::ColumnMajorOperand& x, const std::vector<double>& data, I i, I j) {
  const I r = x.transpose ? j : i, col = x.transpose ? i : j;
  EXPECT_LT(r, x.rows);
  EXPECT_LT(col, x.cols);
  return data[static_cast<std::size_t>(r + col * x.ld)];
}

// What cuBLAS computes: D (m, n) column-major with ldd, D = op(a) op(b) (+ bias[i] per row).
void emulate(const c::ColumnMajorGemm& g, const std::vector<double>& a, const std::vector<double>& b,
             std::vector<double>& d, const std::vector<double>* bias = nullptr) {
  // The library's own argument checks (cublasGemmEx returns INVALID_VALUE otherwise).
  ASSERT_EQ(g.a.transpose ? g.a.cols : g.a.rows, g.m);
  ASSERT_EQ(g.a.transpose ? g.a.rows : g.a.cols, g.k);
  ASSERT_EQ(g.b.transpose ? g.b.cols : g.b.rows, g.k);
  ASSERT_EQ(g.b.transpose ? g.b.rows : g.b.cols, g.n);
  ASSERT_EQ(g.d_rows, g.m);
  ASSERT_EQ(g.d_cols, g.n);
  ASSERT_GE(g.a.ld, g.a.rows);
  ASSERT_GE(g.b.ld, g.b.rows);
  ASSERT_GE(g.ldd, g.d_rows);
  for (I j = 0; j < g.n; ++j)
    for (I i = 0; i < g.m; ++i) {
      double s = bias ? (*bias)[static_cast<std::size_t>(i)] : 0.0;
      for (I l = 0; l < g.k; ++l) s += op_at(g.a, a, i, l) * op_at(g.b, b, l, j);
      d[static_cast<std::size_t>(i + j * g.ldd)] = s;
    }
}

std::vector<double> random_buffer(I n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = u(rng);
  return v;
}

// Row-major C (m, n) = op(A) op(B) (+ bias[j] per column) through the mapping and the emulator,
// against the direct row-major sum; elements of C's padding columns must stay untouched.
void check(bool ta, bool tb, I m, I n, I k, I lda, I ldb, I ldc, bool with_bias = false) {
  SCOPED_TRACE(::testing::Message() << "trans_a=" << ta << " trans_b=" << tb << " m=" << m << " n=" << n << " k=" << k
                                    << " lda=" << lda << " ldb=" << ldb << " ldc=" << ldc);
  // Row-major storage: A is (m, k) or, transposed, (k, m); B is (k, n) or (n, k).
  const I a_rows = ta ? k : m, b_rows = tb ? n : k;
  const auto A = random_buffer(a_rows * lda, 1), B = random_buffer(b_rows * ldb, 2), bias = random_buffer(n, 3);
  const double sentinel = 12345.0;
  std::vector<double> C(static_cast<std::size_t>(m * ldc), sentinel);
  const auto g = c::column_major_gemm(ta, tb, m, n, k, lda, ldb, ldc);
  // The bias runs along D's rows: it must have one entry per output feature (our n).
  ASSERT_EQ(g.d_rows, n);
  emulate(g, B, A, C, with_bias ? &bias : nullptr);  // the library's first operand is our B
  for (I i = 0; i < m; ++i) {
    for (I j = 0; j < n; ++j) {
      double want = with_bias ? bias[static_cast<std::size_t>(j)] : 0.0;
      for (I l = 0; l < k; ++l) {
        const double av = ta ? A[static_cast<std::size_t>(l * lda + i)] : A[static_cast<std::size_t>(i * lda + l)];
        const double bv = tb ? B[static_cast<std::size_t>(j * ldb + l)] : B[static_cast<std::size_t>(l * ldb + j)];
        want += av * bv;
      }
      ASSERT_NEAR(C[static_cast<std::size_t>(i * ldc + j)], want, 1e-12) << "C(" << i << ", " << j << ")";
    }
    for (I j = n; j < ldc; ++j) ASSERT_EQ(C[static_cast<std::size_t>(i * ldc + j)], sentinel) << "padding written";
  }
}

TEST(CudaGemmMapping, EveryTransposePairMatchesRowMajor) {
  for (const bool ta : {false, true})
    for (const bool tb : {false, true}) {
      const I m = 5, n = 7, k = 3;
      check(ta, tb, m, n, k, ta ? m : k, tb ? k : n, n);                  // tight leading dimensions
      check(ta, tb, m, n, k, (ta ? m : k) + 4, (tb ? k : n) + 3, n + 2);  // padded (strided views)
    }
}

TEST(CudaGemmMapping, LinearLayerArgumentLists) {
  const I N = 6, IC = 5, OC = 4;
  // linear_forward: out (N, OC) = inp (N, IC) W^T (W is (OC, IC)) + b, bias per output feature.
  check(false, true, N, OC, IC, IC, IC, OC, /*with_bias=*/true);
  // linear_backward: dinp (N, IC) = dout (N, OC) W (OC, IC).
  check(false, false, N, IC, OC, OC, IC, IC);
  // weight_grads: dW (OC, IC) = dout^T (dout stored (N, OC)) inp (N, IC).
  check(true, false, OC, IC, N, OC, IC, IC);
}

TEST(CudaGemmMapping, TiedHeadWithPaddedLogitsRows) {
  const I rows = 3, C = 4, V = 9, ld = (V + 7) / 8 * 8;  // logits_ld(V) = 16
  check(false, true, rows, V, C, C, C, ld);              // logits = x Wte^T into rows of ld
  check(false, false, rows, C, V, ld, C, C);             // dx = dlogits (ld rows) Wte
  check(true, false, V, C, rows, ld, C, C);              // dWte += dlogits^T x
}

TEST(CudaGemmMapping, AttentionBatchedShapes) {
  const I T = 5, D = 3;
  check(false, true, T, T, D, D, D, T);   // S = Q K^T
  check(false, false, T, D, T, T, D, D);  // O = P V
  check(true, false, T, D, T, T, D, D);   // dV = P^T dO
  // Muon's Gram matrix X X^T and update B X (fp32 sgemm, same mapping).
  const I r = 3, k = 5;
  check(false, true, r, r, k, k, k, r);
  check(false, false, r, k, r, r, k, k);
}

}  // namespace
