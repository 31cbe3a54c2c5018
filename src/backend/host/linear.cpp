#include "hermes/backend/host/linear.hpp"

namespace hermes::backend::host {

template <class T>
void linear_forward(T* out, const T* inp, const T* weight, const T* bias, Index N, Index IC, Index OC) {
  if (bias) {
    Kokkos::parallel_for(
        "linear::bias", Range(0, N), KOKKOS_LAMBDA(const Index n) {
          for (Index o = 0; o < OC; ++o) out[n * OC + o] = bias[o];
        });
  }
  gemm<T>(false, true, N, OC, IC, T(1), inp, IC, weight, IC, bias ? T(1) : T(0), out, OC);
}

template <class T>
void linear_backward(T* dinp, T* dweight, T* dbias, const T* dout, const T* inp, const T* weight, Index N, Index IC,
                     Index OC) {
  if (dinp) gemm<T>(false, false, N, IC, OC, T(1), dout, OC, weight, IC, T(0), dinp, IC);
  gemm<T>(true, false, OC, IC, N, T(1), dout, OC, inp, IC, T(1), dweight, IC);
  if (dbias) {
    constexpr Index kBlock = 64;
    const Index blocks = (OC + kBlock - 1) / kBlock;
    Kokkos::parallel_for(
        "linear::backward_bias", Range(0, blocks), KOKKOS_LAMBDA(const Index blk) {
          const Index o0 = blk * kBlock, o1 = o0 + kBlock < OC ? o0 + kBlock : OC;
          T acc[kBlock];
          for (Index o = o0; o < o1; ++o) acc[o - o0] = 0;
          for (Index n = 0; n < N; ++n)
            for (Index o = o0; o < o1; ++o) acc[o - o0] += dout[n * OC + o];
          for (Index o = o0; o < o1; ++o) dbias[o] += acc[o - o0];
        });
  }
}

#define HERMES_INSTANTIATE(T)                                                             \
  template void linear_forward<T>(T*, const T*, const T*, const T*, Index, Index, Index); \
  template void linear_backward<T>(T*, T*, T*, const T*, const T*, const T*, Index, Index, Index);
HERMES_INSTANTIATE(float)
HERMES_INSTANTIATE(double)

}  // namespace hermes::backend::host
