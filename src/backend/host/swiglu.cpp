#include "hermes/backend/host/swiglu.hpp"

namespace hermes::backend::host {

template <class T>
void swiglu_forward(T* out, const T* gate, const T* up, Index n) {
  Kokkos::parallel_for(
      "swiglu::forward", Range(0, n), KOKKOS_LAMBDA(const Index i) {
        const T g = gate[i];
        out[i] = g / (T(1) + k_exp(-g)) * up[i];
      });
}

template <class T>
void swiglu_backward(T* dgate, T* dup, const T* gate, const T* up, const T* dout, Index n) {
  Kokkos::parallel_for(
      "swiglu::backward", Range(0, n), KOKKOS_LAMBDA(const Index i) {
        const T g = gate[i], s = T(1) / (T(1) + k_exp(-g)), d = dout[i];
        dgate[i] = d * up[i] * s * (T(1) + g * (T(1) - s));
        dup[i] = d * g * s;
      });
}

template void swiglu_forward<float>(float*, const float*, const float*, Index);
template void swiglu_forward<double>(double*, const double*, const double*, Index);
template void swiglu_backward<float>(float*, float*, const float*, const float*, const float*, Index);
template void swiglu_backward<double>(double*, double*, const double*, const double*, const double*, Index);

}  // namespace hermes::backend::host
