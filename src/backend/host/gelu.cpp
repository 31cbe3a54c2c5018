#include "hermes/backend/host/gelu.hpp"

namespace hermes::backend::host {

namespace {
constexpr double kGeluK = 0.7978845608028654;  // sqrt(2/pi)
}

template <class T> void gelu_forward(T* out, const T* inp, Index n) {
  const T k = static_cast<T>(kGeluK), a = static_cast<T>(0.044715);
  Kokkos::parallel_for("gelu::forward", Range(0, n), KOKKOS_LAMBDA(const Index i) {
    const T x = inp[i];
    out[i] = T(0.5) * x * (T(1) + k_tanh(k * (x + a * x * x * x)));
  });
}

template <class T> void gelu_backward(T* dinp, const T* inp, const T* dout, Index n) {
  const T k = static_cast<T>(kGeluK), a = static_cast<T>(0.044715);
  Kokkos::parallel_for("gelu::backward", Range(0, n), KOKKOS_LAMBDA(const Index i) {
    const T x = inp[i];
    const T th = k_tanh(k * (x + a * x * x * x));
    const T d = T(0.5) * (T(1) + th) + T(0.5) * x * (T(1) - th * th) * k * (T(1) + T(3) * a * x * x);
    dinp[i] = dout[i] * d;
  });
}

template void gelu_forward<float>(float*, const float*, Index);
template void gelu_forward<double>(double*, const double*, Index);
template void gelu_backward<float>(float*, const float*, const float*, Index);
template void gelu_backward<double>(double*, const double*, const double*, Index);

}  // namespace hermes::backend::host
