#include "hermes/backend/host/residual.hpp"

namespace hermes::backend::host {

template <class T>
void residual_forward(T* out, const T* a, const T* b, Index n) {
  Kokkos::parallel_for(
      "residual::forward", Range(0, n), KOKKOS_LAMBDA(const Index i) { out[i] = a[i] + b[i]; });
}

template void residual_forward<float>(float*, const float*, const float*, Index);
template void residual_forward<double>(double*, const double*, const double*, Index);

}  // namespace hermes::backend::host
