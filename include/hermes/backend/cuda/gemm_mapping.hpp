#pragma once
// How Context's row-major GEMMs become cuBLAS / cuBLASLt column-major problems, plain C++ (no
// CUDA headers) so CPU builds test it against a reference (tests/unit/test_cuda_gemm_mapping.cpp).
// A row-major (r, c) matrix with leading dimension ld, read column-major, is its transpose: a
// (c, r) matrix with the same ld. So row-major C (m, n) = op(A) op(B) is the column-major
// D = C^T (n, m) = op(B)^T op(A)^T: the library's first operand is our B, its second our A, each
// keeps its own transpose flag, and the library's (m, n, k) is our (n, m, k). A cuBLASLt bias
// vector runs along D's rows, so it has our n entries (one per output feature), and an epilogue
// aux matrix has D's layout (our row-major (m, n) with its own leading dimension).
#include <cstdint>

namespace hermes::backend::cuda {

// One operand as the library sees it: its stored column-major shape (before the op) and ld.
struct ColumnMajorOperand {
  bool transpose = false;
  std::int64_t rows = 0, cols = 0, ld = 0;
};
struct ColumnMajorGemm {
  std::int64_t m = 0, n = 0, k = 0;              // D (m, n) = op(a) (m, k) op(b) (k, n)
  ColumnMajorOperand a, b;                       // a is our B, b is our A
  std::int64_t d_rows = 0, d_cols = 0, ldd = 0;  // D = our C^T
};

// Row-major C(m, n) = op(A) op(B); trans_a: A is stored (k, m), trans_b: B is stored (n, k).
inline ColumnMajorGemm column_major_gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
                                         std::int64_t lda, std::int64_t ldb, std::int64_t ldc) {
  ColumnMajorGemm g;
  g.m = n;
  g.n = m;
  g.k = k;
  g.a = {trans_b, trans_b ? k : n, trans_b ? n : k, ldb};
  g.b = {trans_a, trans_a ? m : k, trans_a ? k : m, lda};
  g.d_rows = n;
  g.d_cols = m;
  g.ldd = ldc;
  return g;
}

}  // namespace hermes::backend::cuda
