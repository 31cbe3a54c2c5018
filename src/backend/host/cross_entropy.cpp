#include "hermes/backend/host/cross_entropy.hpp"

namespace hermes::backend::host {

template <class T>
CrossEntropyStats cross_entropy_forward_backward(T* logits, T* row_loss, std::int32_t* row_correct,
                                                 const std::int32_t* targets, const std::uint8_t* mask, Index N,
                                                 Index V, T grad_scale, bool write_grad) {
  Kokkos::parallel_for(
      "cross_entropy::fused", Range(0, N), KOKKOS_LAMBDA(const Index n) {
        T* z = logits + n * V;
        const bool on = mask == nullptr || mask[n] != 0;
        const Index y = targets[n];
        T mx = z[0];
        Index arg = 0;
        for (Index v = 1; v < V; ++v)
          if (z[v] > mx) {
            mx = z[v];
            arg = v;
          }
        const T zy = z[y];
        // One exp per logit: the row is overwritten by exp(z - max) and then scaled into the gradient.
        T sum = 0;
        for (Index v = 0; v < V; ++v) {
          const T e = k_exp(z[v] - mx);
          z[v] = e;
          sum += e;
        }
        row_loss[n] = on ? mx + k_log(sum) - zy : T(0);
        row_correct[n] = on && arg == y ? 1 : 0;
        if (write_grad) {
          const T s = on ? grad_scale : T(0);
          const T k = s / sum;
          for (Index v = 0; v < V; ++v) z[v] *= k;
          z[y] -= s;
        }
      });
  CrossEntropyStats st;
  for (Index n = 0; n < N; ++n) {
    st.loss_sum += static_cast<double>(row_loss[n]);
    st.correct += row_correct[n];
    st.count += (mask == nullptr || mask[n] != 0) ? 1 : 0;
  }
  return st;
}

template CrossEntropyStats cross_entropy_forward_backward<float>(float*, float*, std::int32_t*, const std::int32_t*,
                                                                 const std::uint8_t*, Index, Index, float, bool);
template CrossEntropyStats cross_entropy_forward_backward<double>(double*, double*, std::int32_t*, const std::int32_t*,
                                                                  const std::uint8_t*, Index, Index, double, bool);

}  // namespace hermes::backend::host
