#include "hermes/backend/host/rope.hpp"

#include <cmath>

namespace hermes::backend::host {

template <class T>
void rope_table(T* cos_table, T* sin_table, Index T_len, Index D, double theta) {
  const Index half = D / 2;
  for (Index t = 0; t < T_len; ++t)
    for (Index i = 0; i < half; ++i) {
      const double f = std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(D));
      cos_table[t * half + i] = static_cast<T>(std::cos(static_cast<double>(t) * f));
      sin_table[t * half + i] = static_cast<T>(std::sin(static_cast<double>(t) * f));
    }
}

namespace {
template <class T>
void rotate(const char* label, T* qkv, const T* cs, const T* sn, Index B, Index T_len, Index H, Index KVH, Index D,
            T sign) {
  const Index rows = B * T_len, heads = H + KVH, half = D / 2, width = (H + 2 * KVH) * D;
  Kokkos::parallel_for(
      label, Range(0, rows * heads), KOKKOS_LAMBDA(const Index idx) {
        const Index row = idx / heads, h = idx % heads, t = row % T_len;
        T* x = qkv + row * width + h * D;  // q heads then k heads: contiguous in qkv
        const T* c = cs + t * half;
        const T* s = sn + t * half;
        for (Index i = 0; i < half; ++i) {
          const T x1 = x[i], x2 = x[i + half], si = sign * s[i];
          x[i] = x1 * c[i] - x2 * si;
          x[i + half] = x1 * si + x2 * c[i];
        }
      });
}
}  // namespace

template <class T>
void rope_forward(T* qkv, const T* cs, const T* sn, Index B, Index T_len, Index H, Index KVH, Index D) {
  rotate<T>("rope::forward", qkv, cs, sn, B, T_len, H, KVH, D, T(1));
}
template <class T>
void rope_backward(T* dqkv, const T* cs, const T* sn, Index B, Index T_len, Index H, Index KVH, Index D) {
  rotate<T>("rope::backward", dqkv, cs, sn, B, T_len, H, KVH, D, T(-1));
}

#define HERMES_INSTANTIATE(T)                                                               \
  template void rope_table<T>(T*, T*, Index, Index, double);                                \
  template void rope_forward<T>(T*, const T*, const T*, Index, Index, Index, Index, Index); \
  template void rope_backward<T>(T*, const T*, const T*, Index, Index, Index, Index, Index);
HERMES_INSTANTIATE(float)
HERMES_INSTANTIATE(double)

}  // namespace hermes::backend::host
