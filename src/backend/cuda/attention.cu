#include <cmath>

#include "hermes/backend/cuda/attention.cuh"
#include "hermes/backend/cuda/device.cuh"

namespace hermes::backend::cuda {

namespace {
// qkv (B, T, W) -> q, k, v (B, H, T, D); one thread per V channels.
template <int V>
__global__ void permute_qkv_kernel(bf16* q, bf16* k, bf16* v, const bf16* qkv, Index B, Index T_len, Index H, Index KVH,
                                   Index D) {
  const Index per = D / V;
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= B * H * T_len * per) return;
  const Index d = (i % per) * V;
  const Index t = (i / per) % T_len;
  const Index h = (i / (per * T_len)) % H;
  const Index b = i / (per * T_len * H);
  const Index W = (H + 2 * KVH) * D, C = H * D, g = h / (H / KVH);
  const bf16* row = qkv + (b * T_len + t) * W;
  const Index o = ((b * H + h) * T_len + t) * D + d;
  store_pack<V>(q + o, load_pack<V>(row + h * D + d));
  store_pack<V>(k + o, load_pack<V>(row + C + g * D + d));
  store_pack<V>(v + o, load_pack<V>(row + C + KVH * D + g * D + d));
}

// (B, T, H*D) <-> (B, H, T, D); to_heads selects the direction.
template <int V>
__global__ void permute_heads_kernel(bf16* dst, const bf16* src, Index B, Index T_len, Index H, Index D,
                                     bool to_heads) {
  const Index per = D / V;
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= B * H * T_len * per) return;
  const Index d = (i % per) * V;
  const Index t = (i / per) % T_len;
  const Index h = (i / (per * T_len)) % H;
  const Index b = i / (per * T_len * H);
  const Index heads = ((b * H + h) * T_len + t) * D + d, tokens = (b * T_len + t) * H * D + h * D + d;
  if (to_heads)
    store_pack<V>(dst + heads, load_pack<V>(src + tokens));
  else
    store_pack<V>(dst + tokens, load_pack<V>(src + heads));
}

// dq, dk, dv (B, H, T, D) -> dqkv (B, T, W); K/V columns sum the group's query heads.
template <int V>
__global__ void scatter_dqkv_kernel(bf16* dqkv, const bf16* dq, const bf16* dk, const bf16* dv, Index B, Index T_len,
                                    Index H, Index KVH, Index D) {
  const Index W = (H + 2 * KVH) * D, C = H * D, per = W / V, group = H / KVH;
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= B * T_len * per) return;
  const Index col = (i % per) * V, bt = i / per, b = bt / T_len, t = bt % T_len;
  Pack<V> out;
  if (col < C) {
    const Index h = col / D, d = col % D;
    out = load_pack<V>(dq + ((b * H + h) * T_len + t) * D + d);
  } else {
    const bool is_k = col < C + KVH * D;
    const Index rel = is_k ? col - C : col - C - KVH * D, g = rel / D, d = rel % D;
    const bf16* src = is_k ? dk : dv;
    float acc[V];
#pragma unroll
    for (int j = 0; j < V; ++j) acc[j] = 0.0f;
    for (Index h = g * group; h < (g + 1) * group; ++h) {
      const Pack<V> p = load_pack<V>(src + ((b * H + h) * T_len + t) * D + d);
#pragma unroll
      for (int j = 0; j < V; ++j) acc[j] += __bfloat162float(p.v[j]);
    }
#pragma unroll
    for (int j = 0; j < V; ++j) out.v[j] = __float2bfloat16(acc[j]);
  }
  store_pack<V>(dqkv + bt * W + col, out);
}

// One warp per row of (B*H*T, T) scores already scaled by 1/sqrt(D): causal softmax in fp32.
__global__ void causal_softmax_kernel(bf16* p, Index rows, Index T_len) {
  const Index r = static_cast<Index>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
  if (r >= rows) return;
  const int lane = threadIdx.x % 32;
  const Index t = r % T_len;
  bf16* row = p + r * T_len;
  float mx = -INFINITY;
  for (Index j = lane; j <= t; j += 32) mx = fmaxf(mx, __bfloat162float(row[j]));
  mx = warp_max(mx);
  float sum = 0.0f;
  for (Index j = lane; j <= t; j += 32) sum += __expf(__bfloat162float(row[j]) - mx);
  sum = warp_sum(sum);
  const float inv = 1.0f / sum;
  for (Index j = lane; j < T_len; j += 32)
    row[j] = __float2bfloat16(j <= t ? __expf(__bfloat162float(row[j]) - mx) * inv : 0.0f);
}

// dS = P (dP - rowsum(P dP)) * scale, in place over dP; zero above the diagonal.
__global__ void softmax_backward_kernel(bf16* dp, const bf16* p, Index rows, Index T_len, float scale) {
  const Index r = static_cast<Index>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
  if (r >= rows) return;
  const int lane = threadIdx.x % 32;
  const Index t = r % T_len;
  bf16* d = dp + r * T_len;
  const bf16* pr = p + r * T_len;
  float dot = 0.0f;
  for (Index j = lane; j <= t; j += 32) dot += __bfloat162float(pr[j]) * __bfloat162float(d[j]);
  dot = warp_sum(dot);
  for (Index j = lane; j < T_len; j += 32)
    d[j] = __float2bfloat16(j <= t ? __bfloat162float(pr[j]) * (__bfloat162float(d[j]) - dot) * scale : 0.0f);
}

bool vec8(Index D, Index W, const void* a, const void* b) {
  return D % 8 == 0 && W % 8 == 0 && aligned16(a) && aligned16(b);
}
constexpr int kThreads = 256;
}  // namespace

Index attention_scratch_elems(Index B, Index T_len, Index H, Index D) {
  return 6 * B * H * T_len * D + B * H * T_len * T_len;
}

Index attention_scratch_elems(AttentionImpl impl, Index B, Index T_len, Index H, Index D) {
  return impl == AttentionImpl::cudnn_fused ? 0 : attention_scratch_elems(B, T_len, H, D);
}

Index attention_saved_elems(AttentionImpl impl, Index B, Index T_len, Index H) {
  return impl == AttentionImpl::cudnn_fused ? 2 * B * H * T_len : B * H * T_len * T_len;
}

void attention_forward(bf16* out, bf16* probs, const bf16* qkv, Index B, Index T_len, Index H, Index KVH, Index D,
                       bf16* scratch, Context& ctx) {
  const cudaStream_t s = ctx.stream();
  const Index hs = B * H * T_len * D, W = (H + 2 * KVH) * D, rows = B * H * T_len;
  bf16 *q = scratch, *k = q + hs, *v = k + hs, *o = v + hs;
  if (vec8(D, W, qkv, scratch))
    permute_qkv_kernel<8><<<grid_for(hs / 8, kThreads), kThreads, 0, s>>>(q, k, v, qkv, B, T_len, H, KVH, D);
  else
    permute_qkv_kernel<1><<<grid_for(hs, kThreads), kThreads, 0, s>>>(q, k, v, qkv, B, T_len, H, KVH, D);
  HERMES_CUDA_LAUNCH_CHECK();
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
  const Index td = T_len * D, tt = T_len * T_len;
  ctx.gemm_batched(false, true, T_len, T_len, D, scale, q, D, td, k, D, td, 0.0f, probs, T_len, tt, B * H);
  causal_softmax_kernel<<<grid_for(rows, kThreads / 32), kThreads, 0, s>>>(probs, rows, T_len);
  HERMES_CUDA_LAUNCH_CHECK();
  ctx.gemm_batched(false, false, T_len, D, T_len, 1.0f, probs, T_len, tt, v, D, td, 0.0f, o, D, td, B * H);
  if (vec8(D, W, out, o))
    permute_heads_kernel<8><<<grid_for(hs / 8, kThreads), kThreads, 0, s>>>(out, o, B, T_len, H, D, false);
  else
    permute_heads_kernel<1><<<grid_for(hs, kThreads), kThreads, 0, s>>>(out, o, B, T_len, H, D, false);
  HERMES_CUDA_LAUNCH_CHECK();
}

void attention_backward(bf16* dqkv, bf16* scratch, const bf16* dout, const bf16* qkv, const bf16* probs, Index B,
                        Index T_len, Index H, Index KVH, Index D, Context& ctx) {
  const cudaStream_t s = ctx.stream();
  const Index hs = B * H * T_len * D, W = (H + 2 * KVH) * D, rows = B * H * T_len;
  bf16 *q = scratch, *k = q + hs, *v = k + hs, *dO = v + hs, *dk = dO + hs, *dv = dk + hs, *dp = dv + hs;
  const bool vec = vec8(D, W, qkv, scratch) && aligned16(dout) && aligned16(dqkv);
  if (vec) {
    permute_qkv_kernel<8><<<grid_for(hs / 8, kThreads), kThreads, 0, s>>>(q, k, v, qkv, B, T_len, H, KVH, D);
    permute_heads_kernel<8><<<grid_for(hs / 8, kThreads), kThreads, 0, s>>>(dO, dout, B, T_len, H, D, true);
  } else {
    permute_qkv_kernel<1><<<grid_for(hs, kThreads), kThreads, 0, s>>>(q, k, v, qkv, B, T_len, H, KVH, D);
    permute_heads_kernel<1><<<grid_for(hs, kThreads), kThreads, 0, s>>>(dO, dout, B, T_len, H, D, true);
  }
  HERMES_CUDA_LAUNCH_CHECK();
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
  const Index td = T_len * D, tt = T_len * T_len, bh = B * H;
  ctx.gemm_batched(false, true, T_len, T_len, D, 1.0f, dO, D, td, v, D, td, 0.0f, dp, T_len, tt, bh);      // dP
  ctx.gemm_batched(true, false, T_len, D, T_len, 1.0f, probs, T_len, tt, dO, D, td, 0.0f, dv, D, td, bh);  // dV
  softmax_backward_kernel<<<grid_for(rows, kThreads / 32), kThreads, 0, s>>>(dp, probs, rows, T_len, scale);
  HERMES_CUDA_LAUNCH_CHECK();
  bf16* dq = dO;  // dO is dead once dP and dV exist
  ctx.gemm_batched(false, false, T_len, D, T_len, 1.0f, dp, T_len, tt, k, D, td, 0.0f, dq, D, td, bh);  // dQ
  ctx.gemm_batched(true, false, T_len, D, T_len, 1.0f, dp, T_len, tt, q, D, td, 0.0f, dk, D, td, bh);   // dK
  const Index n = B * T_len * W;
  if (vec)
    scatter_dqkv_kernel<8><<<grid_for(n / 8, kThreads), kThreads, 0, s>>>(dqkv, dq, dk, dv, B, T_len, H, KVH, D);
  else
    scatter_dqkv_kernel<1><<<grid_for(n, kThreads), kThreads, 0, s>>>(dqkv, dq, dk, dv, B, T_len, H, KVH, D);
  HERMES_CUDA_LAUNCH_CHECK();
}

}  // namespace hermes::backend::cuda
