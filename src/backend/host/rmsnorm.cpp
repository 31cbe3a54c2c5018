#include "hermes/backend/host/rmsnorm.hpp"

namespace hermes::backend::host {

template <class T>
void rmsnorm_forward(T* out, T* rstd, const T* inp, const T* weight, Index N, Index C, double eps) {
  const T e = static_cast<T>(eps);
  Kokkos::parallel_for(
      "rmsnorm::forward", Range(0, N), KOKKOS_LAMBDA(const Index n) {
        const T* x = inp + n * C;
        T ss = 0;
        for (Index c = 0; c < C; ++c) ss += x[c] * x[c];
        const T r = T(1) / k_sqrt(ss / static_cast<T>(C) + e);
        rstd[n] = r;
        T* y = out + n * C;
        for (Index c = 0; c < C; ++c) y[c] = x[c] * r * weight[c];
      });
}

template <class T>
void rmsnorm_backward(T* dinp, T* dweight, const T* dout, const T* inp, const T* weight, const T* rstd, Index N,
                      Index C) {
  Kokkos::parallel_for(
      "rmsnorm::backward_input", Range(0, N), KOKKOS_LAMBDA(const Index n) {
        const T* x = inp + n * C;
        const T* g = dout + n * C;
        const T r = rstd[n];
        T dot = 0;
        for (Index c = 0; c < C; ++c) dot += g[c] * weight[c] * x[c];
        const T k = r * r * r * dot / static_cast<T>(C);
        T* dx = dinp + n * C;
        for (Index c = 0; c < C; ++c) dx[c] += r * weight[c] * g[c] - k * x[c];
      });
  constexpr Index kBlock = 32;
  const Index blocks = (C + kBlock - 1) / kBlock;
  Kokkos::parallel_for(
      "rmsnorm::backward_weight", Range(0, blocks), KOKKOS_LAMBDA(const Index blk) {
        const Index c0 = blk * kBlock, c1 = c0 + kBlock < C ? c0 + kBlock : C;
        T acc[kBlock];
        for (Index c = c0; c < c1; ++c) acc[c - c0] = 0;
        for (Index n = 0; n < N; ++n) {
          const T r = rstd[n];
          for (Index c = c0; c < c1; ++c) acc[c - c0] += dout[n * C + c] * inp[n * C + c] * r;
        }
        for (Index c = c0; c < c1; ++c) dweight[c] += acc[c - c0];
      });
}

#define HERMES_INSTANTIATE(T)                                                         \
  template void rmsnorm_forward<T>(T*, T*, const T*, const T*, Index, Index, double); \
  template void rmsnorm_backward<T>(T*, T*, const T*, const T*, const T*, const T*, Index, Index);
HERMES_INSTANTIATE(float)
HERMES_INSTANTIATE(double)

}  // namespace hermes::backend::host
