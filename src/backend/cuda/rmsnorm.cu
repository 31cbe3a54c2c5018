#include "hermes/backend/cuda/device.cuh"
#include "hermes/backend/cuda/rmsnorm.cuh"

namespace hermes::backend::cuda {

namespace {
constexpr int kThreads = 256;

// One block per row; thread t owns packs t, t + blockDim, ... of V channels. With a != nullptr
// the row is a + b (rounded to bf16 and stored into `res`) instead of `inp`.
template <int V>
__global__ void rmsnorm_forward_kernel(bf16* out, float* rstd, bf16* res, const bf16* inp, const bf16* a, const bf16* b,
                                       const bf16* w, Index C, float eps) {
  __shared__ float shared[32];
  const Index n = blockIdx.x;
  float ss = 0.0f;
  for (Index c = threadIdx.x * V; c < C; c += blockDim.x * V) {
    Pack<V> x;
    if (a != nullptr) {
      const Pack<V> pa = load_pack<V>(a + n * C + c), pb = load_pack<V>(b + n * C + c);
#pragma unroll
      for (int k = 0; k < V; ++k) x.v[k] = __float2bfloat16(__bfloat162float(pa.v[k]) + __bfloat162float(pb.v[k]));
      store_pack<V>(res + n * C + c, x);
    } else {
      x = load_pack<V>(inp + n * C + c);
    }
#pragma unroll
    for (int k = 0; k < V; ++k) {
      const float f = __bfloat162float(x.v[k]);
      ss += f * f;
    }
  }
  ss = block_sum(ss, shared);
  const float r = rsqrtf(ss / static_cast<float>(C) + eps);
  if (threadIdx.x == 0) rstd[n] = r;
  const bf16* src = a != nullptr ? res : inp;  // re-read: this block's own writes, L1/L2 hits
  for (Index c = threadIdx.x * V; c < C; c += blockDim.x * V) {
    const Pack<V> x = load_pack<V>(src + n * C + c), wp = load_pack<V>(w + c);
    Pack<V> y;
#pragma unroll
    for (int k = 0; k < V; ++k) y.v[k] = __float2bfloat16(__bfloat162float(x.v[k]) * r * __bfloat162float(wp.v[k]));
    store_pack<V>(out + n * C + c, y);
  }
}

// Blocks stride over rows; dweight partials (C floats) live in dynamic shared memory.
template <int V>
__global__ void rmsnorm_backward_kernel(bf16* dinp, float* dweight, const bf16* dout, const bf16* inp, const bf16* w,
                                        const float* rstd, Index N, Index C) {
  extern __shared__ float dw_part[];  // (C)
  __shared__ float shared[32];
  for (Index c = threadIdx.x; c < C; c += blockDim.x) dw_part[c] = 0.0f;
  __syncthreads();
  const float inv_c = 1.0f / static_cast<float>(C);
  for (Index n = blockIdx.x; n < N; n += gridDim.x) {
    const float r = rstd[n];
    float dot = 0.0f;
    for (Index c = threadIdx.x * V; c < C; c += blockDim.x * V) {
      const Pack<V> d = load_pack<V>(dout + n * C + c), x = load_pack<V>(inp + n * C + c), wp = load_pack<V>(w + c);
#pragma unroll
      for (int k = 0; k < V; ++k) {
        const float dk = __bfloat162float(d.v[k]), xk = __bfloat162float(x.v[k]);
        dot += dk * __bfloat162float(wp.v[k]) * xk;
        dw_part[c + k] += dk * xk * r;  // channel c+k is only ever touched by this thread
      }
    }
    dot = block_sum(dot, shared);
    const float r3 = r * r * r * inv_c * dot;
    for (Index c = threadIdx.x * V; c < C; c += blockDim.x * V) {
      const Pack<V> d = load_pack<V>(dout + n * C + c), x = load_pack<V>(inp + n * C + c), wp = load_pack<V>(w + c);
      Pack<V> g = load_pack<V>(dinp + n * C + c);
#pragma unroll
      for (int k = 0; k < V; ++k) {
        const float dx = r * __bfloat162float(wp.v[k]) * __bfloat162float(d.v[k]) - r3 * __bfloat162float(x.v[k]);
        g.v[k] = __float2bfloat16(__bfloat162float(g.v[k]) + dx);
      }
      store_pack<V>(dinp + n * C + c, g);
    }
  }
  __syncthreads();
  for (Index c = threadIdx.x; c < C; c += blockDim.x) atomicAdd(dweight + c, dw_part[c]);
}

template <int V>
__global__ void residual_kernel(bf16* out, const bf16* a, const bf16* b, Index n) {
  const Index i = (static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x) * V;
  if (i >= n) return;
  const Pack<V> pa = load_pack<V>(a + i), pb = load_pack<V>(b + i);
  Pack<V> y;
#pragma unroll
  for (int k = 0; k < V; ++k) y.v[k] = __float2bfloat16(__bfloat162float(pa.v[k]) + __bfloat162float(pb.v[k]));
  store_pack<V>(out + i, y);
}

bool vec_ok(Index C, const void* p0, const void* p1, const void* p2, const void* p3) {
  return C % 8 == 0 && aligned16(p0) && aligned16(p1) && (p2 == nullptr || aligned16(p2)) &&
         (p3 == nullptr || aligned16(p3));
}
}  // namespace

void rmsnorm_forward(bf16* out, float* rstd, const bf16* inp, const bf16* w, Index N, Index C, double eps,
                     cudaStream_t s) {
  if (N == 0) return;
  const float e = static_cast<float>(eps);
  if (vec_ok(C, out, inp, w, nullptr))
    rmsnorm_forward_kernel<8><<<N, kThreads, 0, s>>>(out, rstd, nullptr, inp, nullptr, nullptr, w, C, e);
  else
    rmsnorm_forward_kernel<1><<<N, kThreads, 0, s>>>(out, rstd, nullptr, inp, nullptr, nullptr, w, C, e);
  HERMES_CUDA_LAUNCH_CHECK();
}

void residual_rmsnorm_forward(bf16* res, bf16* out, float* rstd, const bf16* a, const bf16* b, const bf16* w, Index N,
                              Index C, double eps, cudaStream_t s) {
  if (N == 0) return;
  const float e = static_cast<float>(eps);
  if (vec_ok(C, out, res, a, b) && aligned16(w))
    rmsnorm_forward_kernel<8><<<N, kThreads, 0, s>>>(out, rstd, res, nullptr, a, b, w, C, e);
  else
    rmsnorm_forward_kernel<1><<<N, kThreads, 0, s>>>(out, rstd, res, nullptr, a, b, w, C, e);
  HERMES_CUDA_LAUNCH_CHECK();
}

void rmsnorm_backward(bf16* dinp, float* dweight, const bf16* dout, const bf16* inp, const bf16* w, const float* rstd,
                      Index N, Index C, cudaStream_t s) {
  if (N == 0) return;
  // One rank drives one device: the SM count is asked once (and never during graph capture).
  static const int sms = [] {
    int device = 0, n = 0;
    HERMES_CUDA_CHECK(cudaGetDevice(&device));
    HERMES_CUDA_CHECK(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, device));
    return n;
  }();
  const unsigned blocks = static_cast<unsigned>(N < 2 * sms ? N : 2 * sms);
  const std::size_t smem = static_cast<std::size_t>(C) * sizeof(float);
  // The 48 KiB default covers static + dynamic shared memory, and the kernel has 32 floats of
  // static `shared` besides the C dynamic ones: widths above 12256 channels need the opt-in.
  // Raised once per larger width (the eager first step), so a CUDA-graph capture of later steps
  // makes no attribute call.
  static std::size_t opted_in = 48 * 1024 - 32 * sizeof(float);
  if (smem > opted_in) {
    HERMES_CUDA_CHECK(cudaFuncSetAttribute(rmsnorm_backward_kernel<8>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                           static_cast<int>(smem)));
    HERMES_CUDA_CHECK(cudaFuncSetAttribute(rmsnorm_backward_kernel<1>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                           static_cast<int>(smem)));
    opted_in = smem;
  }
  if (vec_ok(C, dinp, dout, inp, w))
    rmsnorm_backward_kernel<8><<<blocks, kThreads, smem, s>>>(dinp, dweight, dout, inp, w, rstd, N, C);
  else
    rmsnorm_backward_kernel<1><<<blocks, kThreads, smem, s>>>(dinp, dweight, dout, inp, w, rstd, N, C);
  HERMES_CUDA_LAUNCH_CHECK();
}

void residual_forward(bf16* out, const bf16* a, const bf16* b, Index n, cudaStream_t s) {
  if (n == 0) return;
  const int threads = 256;
  if (vec_ok(n, out, a, b, nullptr))
    residual_kernel<8><<<grid_for(n / 8, threads), threads, 0, s>>>(out, a, b, n);
  else
    residual_kernel<1><<<grid_for(n, threads), threads, 0, s>>>(out, a, b, n);
  HERMES_CUDA_LAUNCH_CHECK();
}

}  // namespace hermes::backend::cuda
