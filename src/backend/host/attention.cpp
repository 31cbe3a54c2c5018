#include "hermes/backend/host/attention.hpp"

#include <algorithm>
#include <cmath>

namespace hermes::backend::host {

// Causal blocking: query rows [r0, r1) only attend to keys [0, r1), so every GEMM runs on row
// blocks of kBlock and skips the masked upper triangle (about 40% of the work at T = 256).
constexpr Index kBlock = 64;

template <class T>
void attention_forward(T* out, T* probs, const T* qkv, Index B, Index T_len, Index H, Index KVH, Index D) {
  const Index W = (H + 2 * KVH) * D, C = H * D, group = H / KVH, TT = T_len * T_len;
  const T scale = static_cast<T>(1.0 / std::sqrt(static_cast<double>(D)));
  for (Index b = 0; b < B; ++b)
    for (Index h = 0; h < H; ++h) {
      const T* q = qkv + b * T_len * W + h * D;
      const T* k = qkv + b * T_len * W + C + (h / group) * D;
      T* p = probs + (b * H + h) * TT;
      for (Index r0 = 0; r0 < T_len; r0 += kBlock) {
        const Index r1 = std::min(T_len, r0 + kBlock);
        gemm<T>(false, true, r1 - r0, r1, D, scale, q + r0 * W, W, k, W, T(0), p + r0 * T_len, T_len);
      }
    }
  Kokkos::parallel_for("attention::causal_softmax", Range(0, B * H * T_len), KOKKOS_LAMBDA(const Index r) {
    const Index t = r % T_len;
    T* p = probs + r * T_len;
    T mx = p[0];
    for (Index j = 1; j <= t; ++j) mx = p[j] > mx ? p[j] : mx;
    T sum = 0;
    for (Index j = 0; j <= t; ++j) {
      p[j] = k_exp(p[j] - mx);
      sum += p[j];
    }
    const T inv = T(1) / sum;
    for (Index j = 0; j <= t; ++j) p[j] *= inv;
    for (Index j = t + 1; j < T_len; ++j) p[j] = 0;
  });
  for (Index b = 0; b < B; ++b)
    for (Index h = 0; h < H; ++h) {
      const T* v = qkv + b * T_len * W + C + KVH * D + (h / group) * D;
      const T* p = probs + (b * H + h) * TT;
      T* o = out + b * T_len * C + h * D;
      for (Index r0 = 0; r0 < T_len; r0 += kBlock) {
        const Index r1 = std::min(T_len, r0 + kBlock);
        gemm<T>(false, false, r1 - r0, D, r1, T(1), p + r0 * T_len, T_len, v, W, T(0), o + r0 * C, C);
      }
    }
}

template <class T>
void attention_backward(T* dqkv, T* scratch, const T* dout, const T* qkv, const T* probs, Index B,
                        Index T_len, Index H, Index KVH, Index D) {
  const Index W = (H + 2 * KVH) * D, C = H * D, group = H / KVH, TT = T_len * T_len;
  const T scale = static_cast<T>(1.0 / std::sqrt(static_cast<double>(D)));
  // K and V gradients are sums over the query heads of a group: start them at zero.
  Kokkos::parallel_for("attention::zero_dkv", Range(0, B * T_len), KOKKOS_LAMBDA(const Index r) {
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
      const T* p = probs + (b * H + h) * TT;
      const T* dO = dout + b * T_len * C + h * D;
      T* ds = scratch;
      for (Index r0 = 0; r0 < T_len; r0 += kBlock) {
        const Index r1 = std::min(T_len, r0 + kBlock), rb = r1 - r0;
        gemm<T>(false, true, rb, r1, D, T(1), dO + r0 * C, C, v, W, T(0), ds + r0 * T_len, T_len);  // dP
        gemm<T>(true, false, r1, D, rb, T(1), p + r0 * T_len, T_len, dO + r0 * C, C, T(1), dv, W);  // dV +=
      }
      Kokkos::parallel_for("attention::softmax_backward", Range(0, T_len), KOKKOS_LAMBDA(const Index t) {
        const T* pr = p + t * T_len;
        T* d = ds + t * T_len;
        T dot = 0;
        for (Index j = 0; j <= t; ++j) dot += pr[j] * d[j];
        for (Index j = 0; j <= t; ++j) d[j] = pr[j] * (d[j] - dot) * scale;
        for (Index j = t + 1; j < T_len; ++j) d[j] = 0;
      });
      for (Index r0 = 0; r0 < T_len; r0 += kBlock) {
        const Index r1 = std::min(T_len, r0 + kBlock), rb = r1 - r0;
        gemm<T>(false, false, rb, D, r1, T(1), ds + r0 * T_len, T_len, k, W, T(0), dq + r0 * W, W);  // dQ =
        gemm<T>(true, false, r1, D, rb, T(1), ds + r0 * T_len, T_len, q + r0 * W, W, T(1), dk, W);  // dK +=
      }
    }
}

#define HERMES_INSTANTIATE(T)                                                                      \
  template void attention_forward<T>(T*, T*, const T*, Index, Index, Index, Index, Index);         \
  template void attention_backward<T>(T*, T*, const T*, const T*, const T*, Index, Index, Index,   \
                                      Index, Index);
HERMES_INSTANTIATE(float)
HERMES_INSTANTIATE(double)

}  // namespace hermes::backend::host
