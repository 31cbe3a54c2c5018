#include "hermes/backend/host/attention.hpp"

#include <algorithm>
#include <cmath>

namespace hermes::backend::host {

// Query rows are taken kRows at a time against keys [k0, r1) only (causal: the masked upper
// triangle is never multiplied; with document starts, neither are the keys before the block's
// first document). A block's scores, kRows x T, stay in cache between the GEMM that
// writes them, the softmax pass and the GEMM that reads them, so no (T, T) matrix ever goes to
// memory; backward recomputes them from Q, K and the saved log-sum-exp.
constexpr Index kRows = 64;

Index attention_scratch_elems(Index T_len) { return 2 * kRows * T_len; }

namespace {

// The row passes of the softmax, forward and backward. Reductions keep kLanes partial results
// so that they vectorise without reassociation flags; the float versions use exp_fast and are
// compiled for AVX-512, AVX2 and the baseline (GCC picks one at load time, so the library stays
// built for any x86-64). double (the finite-difference tests) uses the library's exp.
constexpr int kLanes = 16;

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define HERMES_ROW_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define HERMES_ROW_CLONES
#endif

template <class T>
T row_exp(T x) {
  return k_exp(x);
}
template <>
inline __attribute__((always_inline)) float row_exp<float>(float x) {
  return exp_fast(x);
}

// p[0..n) = softmax(p[0..n)), p[n..len) = 0; returns the log-sum-exp.
template <class T>
HERMES_ROW_CLONES T softmax_row(T* p, Index n, Index len) {
  T part[kLanes];
  for (int l = 0; l < kLanes; ++l) part[l] = p[0];
  Index j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) part[l] = p[j + l] > part[l] ? p[j + l] : part[l];
  T mx = part[0];
  for (int l = 1; l < kLanes; ++l) mx = part[l] > mx ? part[l] : mx;
  for (; j < n; ++j) mx = p[j] > mx ? p[j] : mx;
  for (j = 0; j < n; ++j) p[j] = row_exp<T>(p[j] - mx);
  for (int l = 0; l < kLanes; ++l) part[l] = 0;
  for (j = 0; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) part[l] += p[j + l];
  T sum = 0;
  for (int l = 0; l < kLanes; ++l) sum += part[l];
  for (; j < n; ++j) sum += p[j];
  const T inv = T(1) / sum;
  for (j = 0; j < n; ++j) p[j] *= inv;
  for (j = n; j < len; ++j) p[j] = 0;
  return mx + k_log(sum);
}

// p[0..n) = exp(p[0..n) - lse), p[n..len) = 0: the forward's probabilities again.
template <class T>
HERMES_ROW_CLONES void probs_row(T* p, Index n, Index len, T lse) {
  for (Index j = 0; j < n; ++j) p[j] = row_exp<T>(p[j] - lse);
  for (Index j = n; j < len; ++j) p[j] = 0;
}

// d = p (d - <p, d>) * scale on [0, n), 0 on [n, len): the softmax backward of one row.
template <class T>
HERMES_ROW_CLONES void softmax_grad_row(const T* p, T* d, Index n, Index len, T scale) {
  T part[kLanes] = {};
  Index j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) part[l] += p[j + l] * d[j + l];
  T dot = 0;
  for (int l = 0; l < kLanes; ++l) dot += part[l];
  for (; j < n; ++j) dot += p[j] * d[j];
  for (j = 0; j < n; ++j) d[j] = p[j] * (d[j] - dot) * scale;
  for (j = n; j < len; ++j) d[j] = 0;
}

// Query row r of a block whose keys start at k0: zeroes the keys before the row's own document
// and returns where its document starts inside the block (0 without document starts).
template <class T>
KOKKOS_INLINE_FUNCTION Index own_document(T* row, const std::int32_t* starts, Index r, Index k0) {
  const Index lo = starts ? starts[r] - k0 : 0;
  for (Index j = 0; j < lo; ++j) row[j] = 0;
  return lo;
}

}  // namespace

template <class T>
void attention_forward(T* out, T* lse, const T* qkv, Index B, Index T_len, Index H, Index KVH, Index D, T* scratch,
                       const std::int32_t* doc_start) {
  const Index W = (H + 2 * KVH) * D, C = H * D, group = H / KVH;
  const T scale = static_cast<T>(1.0 / std::sqrt(static_cast<double>(D)));
  for (Index b = 0; b < B; ++b)
    for (Index h = 0; h < H; ++h) {
      const Index g = h / group;
      const T* q = qkv + b * T_len * W + h * D;
      const T* k = qkv + b * T_len * W + C + g * D;
      const T* v = qkv + b * T_len * W + C + KVH * D + g * D;
      T* o = out + b * T_len * C + h * D;
      T* row_lse = lse + (b * H + h) * T_len;
      const std::int32_t* starts = doc_start ? doc_start + b * T_len : nullptr;
      for (Index r0 = 0; r0 < T_len; r0 += kRows) {
        // Keys [k0, r1): k0 is the first row's document start (starts never decrease along a row).
        const Index r1 = std::min(T_len, r0 + kRows), k0 = starts ? starts[r0] : 0, ld = r1 - k0;
        T* s = scratch;  // (r1 - r0, r1 - k0): scores, then probabilities
        gemm<T>(false, true, r1 - r0, ld, D, scale, q + r0 * W, W, k + k0 * W, W, T(0), s, ld);
        Kokkos::parallel_for(
            "attention::causal_softmax", Range(0, r1 - r0), KOKKOS_LAMBDA(const Index i) {
              T* row = s + i * ld;
              const Index lo = own_document(row, starts, r0 + i, k0);
              row_lse[r0 + i] = softmax_row<T>(row + lo, r0 + i + 1 - k0 - lo, ld - lo);
            });
        gemm<T>(false, false, r1 - r0, D, ld, T(1), s, ld, v + k0 * W, W, T(0), o + r0 * C, C);
      }
    }
}

template <class T>
void attention_backward(T* dqkv, T* scratch, const T* dout, const T* qkv, const T* lse, Index B, Index T_len, Index H,
                        Index KVH, Index D, const std::int32_t* doc_start) {
  const Index W = (H + 2 * KVH) * D, C = H * D, group = H / KVH;
  const T scale = static_cast<T>(1.0 / std::sqrt(static_cast<double>(D)));
  // K and V gradients are sums over the query heads of a group: start them at zero.
  Kokkos::parallel_for(
      "attention::zero_dkv", Range(0, B * T_len), KOKKOS_LAMBDA(const Index r) {
        for (Index i = C; i < W; ++i) dqkv[r * W + i] = 0;
      });
  for (Index b = 0; b < B; ++b)
    for (Index h = 0; h < H; ++h) {
      const Index base = b * T_len * W, g = h / group;
      const T* q = qkv + base + h * D;
      const T* k = qkv + base + C + g * D;
      const T* v = qkv + base + C + KVH * D + g * D;
      T* dq = dqkv + base + h * D;
      T* dk = dqkv + base + C + g * D;
      T* dv = dqkv + base + C + KVH * D + g * D;
      const T* dO = dout + b * T_len * C + h * D;
      const T* row_lse = lse + (b * H + h) * T_len;
      const std::int32_t* starts = doc_start ? doc_start + b * T_len : nullptr;
      for (Index r0 = 0; r0 < T_len; r0 += kRows) {
        const Index r1 = std::min(T_len, r0 + kRows), rb = r1 - r0, k0 = starts ? starts[r0] : 0, ld = r1 - k0;
        T* p = scratch;                   // (rb, r1 - k0) probabilities, recomputed
        T* ds = scratch + kRows * T_len;  // (rb, r1 - k0) dP, then dS
        const T *kb = k + k0 * W, *vb = v + k0 * W;
        gemm<T>(false, true, rb, ld, D, scale, q + r0 * W, W, kb, W, T(0), p, ld);
        Kokkos::parallel_for(
            "attention::recompute_probs", Range(0, rb), KOKKOS_LAMBDA(const Index i) {
              T* row = p + i * ld;
              const Index lo = own_document(row, starts, r0 + i, k0);
              probs_row<T>(row + lo, r0 + i + 1 - k0 - lo, ld - lo, row_lse[r0 + i]);
            });
        gemm<T>(true, false, ld, D, rb, T(1), p, ld, dO + r0 * C, C, T(1), dv + k0 * W, W);  // dV += P^T dO
        gemm<T>(false, true, rb, ld, D, T(1), dO + r0 * C, C, vb, W, T(0), ds, ld);          // dP = dO V^T
        Kokkos::parallel_for(
            "attention::softmax_backward", Range(0, rb), KOKKOS_LAMBDA(const Index i) {
              T* row = ds + i * ld;
              const Index lo = own_document(row, starts, r0 + i, k0);
              softmax_grad_row<T>(p + i * ld + lo, row + lo, r0 + i + 1 - k0 - lo, ld - lo, scale);
            });
        gemm<T>(false, false, rb, D, ld, T(1), ds, ld, kb, W, T(0), dq + r0 * W, W);         // dQ = dS K
        gemm<T>(true, false, ld, D, rb, T(1), ds, ld, q + r0 * W, W, T(1), dk + k0 * W, W);  // dK += dS^T Q
      }
    }
}

#define HERMES_INSTANTIATE(T)                                                                                       \
  template void attention_forward<T>(T*, T*, const T*, Index, Index, Index, Index, Index, T*, const std::int32_t*); \
  template void attention_backward<T>(T*, T*, const T*, const T*, const T*, Index, Index, Index, Index, Index,      \
                                      const std::int32_t*);
HERMES_INSTANTIATE(float)
HERMES_INSTANTIATE(double)

}  // namespace hermes::backend::host
