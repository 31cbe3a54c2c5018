#include "hermes/backend/host/embedding.hpp"

namespace hermes::backend::host {

template <class T>
void embedding_forward(T* out, const std::int32_t* tokens, const T* wte, Index N, Index C) {
  Kokkos::parallel_for(
      "embedding::forward", Range(0, N), KOKKOS_LAMBDA(const Index n) {
        const T* row = wte + static_cast<Index>(tokens[n]) * C;
        for (Index c = 0; c < C; ++c) out[n * C + c] = row[c];
      });
}

// Parallel over channel blocks, tokens in order inside: no atomics, and the sum order is fixed
// (bit-reproducible whatever the thread count).
template <class T>
void embedding_backward(T* dwte, const T* dout, const std::int32_t* tokens, Index N, Index C) {
  constexpr Index kBlock = 32;
  const Index blocks = (C + kBlock - 1) / kBlock;
  Kokkos::parallel_for(
      "embedding::backward", Range(0, blocks), KOKKOS_LAMBDA(const Index blk) {
        const Index c0 = blk * kBlock, c1 = c0 + kBlock < C ? c0 + kBlock : C;
        for (Index n = 0; n < N; ++n) {
          T* drow = dwte + static_cast<Index>(tokens[n]) * C;
          const T* g = dout + n * C;
          for (Index c = c0; c < c1; ++c) drow[c] += g[c];
        }
      });
}

#define HERMES_INSTANTIATE(T)                                                          \
  template void embedding_forward<T>(T*, const std::int32_t*, const T*, Index, Index); \
  template void embedding_backward<T>(T*, const T*, const std::int32_t*, Index, Index);
HERMES_INSTANTIATE(float)
HERMES_INSTANTIATE(double)

}  // namespace hermes::backend::host
