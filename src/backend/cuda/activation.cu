#include "hermes/backend/cuda/activation.cuh"
#include "hermes/backend/cuda/device.cuh"

namespace hermes::backend::cuda {

namespace {
constexpr float kGeluK = 0.7978845608028654f;  // sqrt(2/pi)

__device__ __forceinline__ float gelu(float x) {
  return 0.5f * x * (1.0f + tanhf(kGeluK * (x + 0.044715f * x * x * x)));
}
__device__ __forceinline__ float gelu_grad(float x) {
  const float th = tanhf(kGeluK * (x + 0.044715f * x * x * x));
  return 0.5f * (1.0f + th) + 0.5f * x * (1.0f - th * th) * kGeluK * (1.0f + 3.0f * 0.044715f * x * x);
}
__device__ __forceinline__ float sigmoid(float x) { return 1.0f / (1.0f + __expf(-x)); }

// Ops by tag: one kernel body, four element rules.
struct GeluF {};
struct GeluB {};
struct SwigluF {};
struct SwigluB {};

template <int V>
__global__ void act_kernel(GeluF, bf16* out, bf16*, const bf16* x, const bf16*, const bf16*, Index n) {
  const Index i = (static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x) * V;
  if (i >= n) return;
  const Pack<V> px = load_pack<V>(x + i);
  Pack<V> y;
#pragma unroll
  for (int k = 0; k < V; ++k) y.v[k] = __float2bfloat16(gelu(__bfloat162float(px.v[k])));
  store_pack<V>(out + i, y);
}
template <int V>
__global__ void act_kernel(GeluB, bf16* dinp, bf16*, const bf16* x, const bf16* dout, const bf16*, Index n) {
  const Index i = (static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x) * V;
  if (i >= n) return;
  const Pack<V> px = load_pack<V>(x + i), pd = load_pack<V>(dout + i);
  Pack<V> y;
#pragma unroll
  for (int k = 0; k < V; ++k)
    y.v[k] = __float2bfloat16(__bfloat162float(pd.v[k]) * gelu_grad(__bfloat162float(px.v[k])));
  store_pack<V>(dinp + i, y);
}
template <int V>
__global__ void act_kernel(SwigluF, bf16* out, bf16*, const bf16* gate, const bf16* up, const bf16*, Index n) {
  const Index i = (static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x) * V;
  if (i >= n) return;
  const Pack<V> pg = load_pack<V>(gate + i), pu = load_pack<V>(up + i);
  Pack<V> y;
#pragma unroll
  for (int k = 0; k < V; ++k) {
    const float g = __bfloat162float(pg.v[k]);
    y.v[k] = __float2bfloat16(g * sigmoid(g) * __bfloat162float(pu.v[k]));
  }
  store_pack<V>(out + i, y);
}
template <int V>
__global__ void act_kernel(SwigluB, bf16* dgate, bf16* dup, const bf16* gate, const bf16* up, const bf16* dout,
                           Index n) {
  const Index i = (static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x) * V;
  if (i >= n) return;
  const Pack<V> pg = load_pack<V>(gate + i), pu = load_pack<V>(up + i), pd = load_pack<V>(dout + i);
  Pack<V> yg, yu;
#pragma unroll
  for (int k = 0; k < V; ++k) {
    const float g = __bfloat162float(pg.v[k]), u = __bfloat162float(pu.v[k]), d = __bfloat162float(pd.v[k]);
    const float sg = sigmoid(g);
    yg.v[k] = __float2bfloat16(d * u * sg * (1.0f + g * (1.0f - sg)));
    yu.v[k] = __float2bfloat16(d * g * sg);
  }
  store_pack<V>(dgate + i, yg);
  store_pack<V>(dup + i, yu);
}

template <class Op>
void launch(Op op, bf16* o0, bf16* o1, const bf16* i0, const bf16* i1, const bf16* i2, Index n, cudaStream_t s) {
  if (n == 0) return;
  const int threads = 256;
  const bool vec = n % 8 == 0 && aligned16(o0) && (o1 == nullptr || aligned16(o1)) && aligned16(i0) &&
                   (i1 == nullptr || aligned16(i1)) && (i2 == nullptr || aligned16(i2));
  if (vec)
    act_kernel<8><<<grid_for(n / 8, threads), threads, 0, s>>>(op, o0, o1, i0, i1, i2, n);
  else
    act_kernel<1><<<grid_for(n, threads), threads, 0, s>>>(op, o0, o1, i0, i1, i2, n);
  HERMES_CUDA_LAUNCH_CHECK();
}
}  // namespace

void gelu_forward(bf16* out, const bf16* inp, Index n, cudaStream_t s) {
  launch(GeluF{}, out, nullptr, inp, nullptr, nullptr, n, s);
}
void gelu_backward(bf16* dinp, const bf16* inp, const bf16* dout, Index n, cudaStream_t s) {
  launch(GeluB{}, dinp, nullptr, inp, dout, nullptr, n, s);
}
void swiglu_forward(bf16* out, const bf16* gate, const bf16* up, Index n, cudaStream_t s) {
  launch(SwigluF{}, out, nullptr, gate, up, nullptr, n, s);
}
void swiglu_backward(bf16* dgate, bf16* dup, const bf16* gate, const bf16* up, const bf16* dout, Index n,
                     cudaStream_t s) {
  launch(SwigluB{}, dgate, dup, gate, up, dout, n, s);
}

}  // namespace hermes::backend::cuda
