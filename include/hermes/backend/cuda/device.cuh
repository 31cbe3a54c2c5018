#pragma once
// Device-side helpers for the kernels (nvcc only): 16-byte packs of 8 bf16, warp and block
// reductions in fp32, and the launch arithmetic.
#include "hermes/backend/cuda/common.cuh"

namespace hermes::backend::cuda {

// V bf16 values moved as one load/store: V = 8 gives 128-bit ld.global.v4 / st.global.v4.
template <int V>
struct alignas(2 * V) Pack {
  bf16 v[V];
};
template <int V>
__device__ __forceinline__ Pack<V> load_pack(const bf16* p) {
  return *reinterpret_cast<const Pack<V>*>(p);
}
template <int V>
__device__ __forceinline__ void store_pack(bf16* p, const Pack<V>& x) {
  *reinterpret_cast<Pack<V>*>(p) = x;
}

__device__ __forceinline__ float warp_sum(float x) {
  for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
  return x;
}
__device__ __forceinline__ float warp_max(float x) {
  for (int o = 16; o > 0; o >>= 1) x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, o));
  return x;
}
__device__ __forceinline__ double warp_sum(double x) {
  for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
  return x;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
// `shared` holds 32 values. Deterministic: fixed tree order.
template <class T>
__device__ __forceinline__ T block_sum(T x, T* shared) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  x = warp_sum(x);
  __syncthreads();  // `shared` may still be read by a previous call
  if (lane == 0) shared[warp] = x;
  __syncthreads();
  x = lane < warps ? shared[lane] : T(0);
  return warp_sum(x);
}
__device__ __forceinline__ float block_max(float x, float* shared) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  x = warp_max(x);
  __syncthreads();
  if (lane == 0) shared[warp] = x;
  __syncthreads();
  x = lane < warps ? shared[lane] : -INFINITY;
  return warp_max(x);
}

inline unsigned grid_for(Index work, int threads) {
  const Index g = (work + threads - 1) / threads;
  return static_cast<unsigned>(g < 1 ? 1 : g);
}
inline bool aligned16(const void* p) { return (reinterpret_cast<std::uintptr_t>(p) & 15u) == 0; }

}  // namespace hermes::backend::cuda
