#pragma once
// Shared pieces of the host backend: the execution space, device-clean math wrappers that compile
// against Kokkos 3.4 (Kokkos::Experimental::exp) and 4.x (Kokkos::exp), and one GEMM wrapper over
// CBLAS for float and double (row-major, like every tensor in hermes).
#include <Kokkos_Core.hpp>

#include <cstdint>
#include <cstring>

namespace hermes::backend::host {

using Exec = Kokkos::DefaultHostExecutionSpace;
using Range = Kokkos::RangePolicy<Exec>;
using Index = std::int64_t;
// Arenas live in host memory even in a Kokkos build whose default space is a GPU: the host
// backend's kernels run on the host execution space and BLAS reads these pointers directly.
template <class T>
using HostArray = Kokkos::View<T*, Kokkos::HostSpace>;

#if KOKKOS_VERSION >= 40000
#define HERMES_KMATH ::Kokkos
#else
#define HERMES_KMATH ::Kokkos::Experimental
#endif

template <class T>
KOKKOS_INLINE_FUNCTION T k_exp(T x) {
  return HERMES_KMATH::exp(x);
}
template <class T>
KOKKOS_INLINE_FUNCTION T k_log(T x) {
  return HERMES_KMATH::log(x);
}
template <class T>
KOKKOS_INLINE_FUNCTION T k_sqrt(T x) {
  return HERMES_KMATH::sqrt(x);
}
template <class T>
KOKKOS_INLINE_FUNCTION T k_tanh(T x) {
  return HERMES_KMATH::tanh(x);
}

// exp(x) in float with plain arithmetic and integer bit operations only, so a loop over it
// vectorises (libm's expf is a call per element). x = n ln2 + r with |r| <= ln2/2; exp(r) by a
// degree-6 polynomial (Cephes' coefficients); 2^n added into the exponent bits. x is clamped to
// [-87.3, 88.7], where the result stays a normal float; NaN passes through. Relative error about
// 2e-7 (2 ulp).
// Always inlined, so loops compiled for another instruction set (target clones) inline it too.
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
inline float
exp_fast(float x_in) {
  const float x = x_in < -87.3f ? -87.3f : (x_in > 88.7f ? 88.7f : x_in);
  const float shifted = x * 1.44269504088896341f + 12582912.0f;  // 1.5 * 2^23: rounds to an integer
  const float n = shifted - 12582912.0f;
  // Integer work in uint32, which wraps: n in two's complement, exponent added modulo 2^32.
  std::uint32_t n_bits;
  std::memcpy(&n_bits, &shifted, sizeof n_bits);
  n_bits -= 0x4B400000u;  // the bits of 1.5 * 2^23: what is left is n
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  std::uint32_t yi;
  std::memcpy(&yi, &y, sizeof yi);
  yi += n_bits << 23;
  float out;
  std::memcpy(&out, &yi, sizeof out);
  return x_in == x_in ? out : x_in;  // NaN stays NaN, so a diverged step is still seen
}

// C(m,n) = alpha * op(A) op(B) + beta * C, row-major, with leading dimensions (so strided views
// into qkv work without copies). trans_a: op(A) = A^T where A is stored (k,m).
template <class T>
void gemm(bool trans_a, bool trans_b, Index m, Index n, Index k, T alpha, const T* a, Index lda, const T* b, Index ldb,
          T beta, T* c, Index ldc);

// Ranks sharing a node each run one BLAS thread: the parallelism is across ranks.
void set_blas_threads(int threads);

}  // namespace hermes::backend::host
