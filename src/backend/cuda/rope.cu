#include "hermes/backend/cuda/device.cuh"
#include "hermes/backend/cuda/rope.cuh"

namespace hermes::backend::cuda {

namespace {
__global__ void rope_table_kernel(float* cos_t, float* sin_t, Index T_len, Index D, double theta) {
  const Index half = D / 2;
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= T_len * half) return;
  const Index t = i / half, j = i % half;
  const double f = pow(theta, -2.0 * static_cast<double>(j) / static_cast<double>(D));
  const double ang = static_cast<double>(t) * f;
  cos_t[i] = static_cast<float>(cos(ang));
  sin_t[i] = static_cast<float>(sin(ang));
}

// One thread per V pairs of one head of one token; `sign` = +1 forward, -1 backward.
template <int V>
__global__ void rope_kernel(bf16* qkv, const float* cos_t, const float* sin_t, Index B, Index T_len, Index heads,
                            Index W, Index D, float sign) {
  const Index half = D / 2, per_head = half / V;
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= B * T_len * heads * per_head) return;
  const Index j = (i % per_head) * V;
  const Index h = (i / per_head) % heads;
  const Index bt = i / (per_head * heads);
  const Index t = bt % T_len;
  bf16* x = qkv + bt * W + h * D;  // q heads then k heads are contiguous
  const Pack<V> lo = load_pack<V>(x + j), hi = load_pack<V>(x + j + half);
  Pack<V> ylo, yhi;
#pragma unroll
  for (int k = 0; k < V; ++k) {
    const float c = cos_t[t * half + j + k], s = sign * sin_t[t * half + j + k];
    const float a = __bfloat162float(lo.v[k]), b = __bfloat162float(hi.v[k]);
    ylo.v[k] = __float2bfloat16(a * c - b * s);
    yhi.v[k] = __float2bfloat16(a * s + b * c);
  }
  store_pack<V>(x + j, ylo);
  store_pack<V>(x + j + half, yhi);
}

void rope_apply(bf16* qkv, const float* c, const float* s, Index B, Index T_len, Index H, Index KVH, Index D,
                float sign, cudaStream_t stream) {
  const Index W = (H + 2 * KVH) * D, heads = H + KVH, half = D / 2;
  const int threads = 256;
  if (half % 8 == 0 && W % 8 == 0 && aligned16(qkv))
    rope_kernel<8><<<grid_for(B * T_len * heads * half / 8, threads), threads, 0, stream>>>(qkv, c, s, B, T_len, heads,
                                                                                            W, D, sign);
  else
    rope_kernel<1>
        <<<grid_for(B * T_len * heads * half, threads), threads, 0, stream>>>(qkv, c, s, B, T_len, heads, W, D, sign);
  HERMES_CUDA_LAUNCH_CHECK();
}
}  // namespace

void rope_table(float* cos_table, float* sin_table, Index T_len, Index D, double theta, cudaStream_t s) {
  const int threads = 256;
  rope_table_kernel<<<grid_for(T_len * (D / 2), threads), threads, 0, s>>>(cos_table, sin_table, T_len, D, theta);
  HERMES_CUDA_LAUNCH_CHECK();
}

void rope_forward(bf16* qkv, const float* c, const float* s, Index B, Index T_len, Index H, Index KVH, Index D,
                  cudaStream_t stream) {
  rope_apply(qkv, c, s, B, T_len, H, KVH, D, 1.0f, stream);
}

void rope_backward(bf16* dqkv, const float* c, const float* s, Index B, Index T_len, Index H, Index KVH, Index D,
                   cudaStream_t stream) {
  rope_apply(dqkv, c, s, B, T_len, H, KVH, D, -1.0f, stream);
}

}  // namespace hermes::backend::cuda
