#include "hermes/backend/host/smear.hpp"

namespace hermes::backend::host {

namespace {
template <class T>
KOKKOS_INLINE_FUNCTION T sigmoid(T z) {
  return T(1) / (T(1) + k_exp(-z));
}
template <class T>
KOKKOS_INLINE_FUNCTION T dot(const T* a, const T* b, Index C) {
  T s = 0;
  for (Index c = 0; c < C; ++c) s += a[c] * b[c];
  return s;
}
}  // namespace

template <class T>
void smear_forward(T* out, T* gate, const T* emb, const T* w, const std::int32_t* doc_start, Index B, Index S,
                   Index C) {
  Kokkos::parallel_for(
      "smear::forward", Range(0, B * S), KOKKOS_LAMBDA(const Index n) {
        const Index t = n % S;
        const bool shift = t > 0 && (doc_start == nullptr || doc_start[n] < t);
        const T* e = emb + n * C;
        const T g = shift ? sigmoid(dot(w, e, C)) : T(0);
        gate[n] = g;
        T* o = out + n * C;
        if (shift) {
          const T* prev = e - C;
          for (Index c = 0; c < C; ++c) o[c] = e[c] + g * prev[c];
        } else {
          for (Index c = 0; c < C; ++c) o[c] = e[c];
        }
      });
}

template <class T>
void smear_backward(T* demb, T* dw, T* dz, const T* dout, const T* emb, const T* gate, const T* w, Index B, Index S,
                    Index C) {
  const Index N = B * S;
  // g = 0 wherever the shift is off, so dz and the next position's share vanish there too.
  Kokkos::parallel_for(
      "smear::backward_gate", Range(0, N), KOKKOS_LAMBDA(const Index n) {
        const T g = gate[n];
        dz[n] = g == T(0) ? T(0) : dot(dout + n * C, emb + (n - 1) * C, C) * g * (T(1) - g);
      });
  Kokkos::parallel_for(
      "smear::backward_input", Range(0, N), KOKKOS_LAMBDA(const Index n) {
        const T gn = (n + 1) % S != 0 ? gate[n + 1] : T(0);
        const T* d = dout + n * C;
        const T* dnext = d + C;
        T* de = demb + n * C;
        for (Index c = 0; c < C; ++c) de[c] = d[c] + dz[n] * w[c] + (gn != T(0) ? gn * dnext[c] : T(0));
      });
  // Over channels, positions in order: no atomics and a fixed sum order.
  Kokkos::parallel_for(
      "smear::backward_weight", Range(0, C), KOKKOS_LAMBDA(const Index c) {
        T s = 0;
        for (Index n = 0; n < N; ++n) s += dz[n] * emb[n * C + c];
        dw[c] += s;
      });
}

template <class T>
void smear_rows_forward(T* x, const T* prev, const std::uint8_t* has_prev, const T* w, Index R, Index C) {
  Kokkos::parallel_for(
      "smear::rows_forward", Range(0, R), KOKKOS_LAMBDA(const Index r) {
        if (!has_prev[r]) return;
        T* e = x + r * C;
        const T g = sigmoid(dot(w, e, C));
        for (Index c = 0; c < C; ++c) e[c] += g * prev[r * C + c];
      });
}

#define HERMES_INSTANTIATE(T)                                                                               \
  template void smear_forward<T>(T*, T*, const T*, const T*, const std::int32_t*, Index, Index, Index);     \
  template void smear_backward<T>(T*, T*, T*, const T*, const T*, const T*, const T*, Index, Index, Index); \
  template void smear_rows_forward<T>(T*, const T*, const std::uint8_t*, const T*, Index, Index);
HERMES_INSTANTIATE(float)
HERMES_INSTANTIATE(double)

}  // namespace hermes::backend::host
