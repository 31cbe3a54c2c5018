#pragma once
// Shared pieces of the host backend: the execution space, device-clean math wrappers that compile
// against Kokkos 3.4 (Kokkos::Experimental::exp) and 4.x (Kokkos::exp), and one GEMM wrapper over
// CBLAS for float and double (row-major, like every tensor in hermes).
#include <Kokkos_Core.hpp>

#include <cstdint>

namespace hermes::backend::host {

using Exec = Kokkos::DefaultHostExecutionSpace;
using Range = Kokkos::RangePolicy<Exec>;
using Index = std::int64_t;
// Arenas live in host memory even in a Kokkos build whose default space is a GPU: the host
// backend's kernels run on the host execution space and BLAS reads these pointers directly.
template <class T> using HostArray = Kokkos::View<T*, Kokkos::HostSpace>;

#if KOKKOS_VERSION >= 40000
#define HERMES_KMATH ::Kokkos
#else
#define HERMES_KMATH ::Kokkos::Experimental
#endif

template <class T> KOKKOS_INLINE_FUNCTION T k_exp(T x) { return HERMES_KMATH::exp(x); }
template <class T> KOKKOS_INLINE_FUNCTION T k_log(T x) { return HERMES_KMATH::log(x); }
template <class T> KOKKOS_INLINE_FUNCTION T k_sqrt(T x) { return HERMES_KMATH::sqrt(x); }
template <class T> KOKKOS_INLINE_FUNCTION T k_tanh(T x) { return HERMES_KMATH::tanh(x); }

// C(m,n) = alpha * op(A) op(B) + beta * C, row-major, with leading dimensions (so strided views
// into qkv work without copies). trans_a: op(A) = A^T where A is stored (k,m).
template <class T>
void gemm(bool trans_a, bool trans_b, Index m, Index n, Index k, T alpha, const T* a, Index lda,
          const T* b, Index ldb, T beta, T* c, Index ldc);

// Ranks sharing a node each run one BLAS thread: the parallelism is across ranks.
void set_blas_threads(int threads);

}  // namespace hermes::backend::host
