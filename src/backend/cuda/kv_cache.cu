#include <algorithm>
#include <cmath>

#include "hermes/backend/cuda/device.cuh"
#include "hermes/backend/cuda/kv_cache.cuh"

namespace hermes::backend::cuda {

namespace {
constexpr int kThreads = 256;
constexpr int kAttnThreads = 128;                     // 4 warps per (row, KV head, split) block
constexpr int kTile = static_cast<int>(kDecodeTile);  // keys per tile: one per lane in the softmax
static_assert(kTile == 32, "the softmax step gives each lane of a warp one key of the tile");

// One thread per V pairs of one q or k head of one row, at the row's own position.
template <int V>
__global__ void rope_at_kernel(bf16* qkv, const float* cos_t, const float* sin_t, const std::int32_t* pos, Index R,
                               Index heads, Index W, Index D) {
  const Index half = D / 2, per_head = half / V;
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= R * heads * per_head) return;
  const Index j = (i % per_head) * V;
  const Index h = (i / per_head) % heads;
  const Index r = i / (per_head * heads);
  const Index t = pos[r];
  bf16* x = qkv + r * W + h * D;  // q heads then k heads are contiguous
  const Pack<V> lo = load_pack<V>(x + j), hi = load_pack<V>(x + j + half);
  Pack<V> ylo, yhi;
#pragma unroll
  for (int k = 0; k < V; ++k) {
    const float c = cos_t[t * half + j + k], s = sin_t[t * half + j + k];
    const float a = __bfloat162float(lo.v[k]), b = __bfloat162float(hi.v[k]);
    ylo.v[k] = __float2bfloat16(a * c - b * s);
    yhi.v[k] = __float2bfloat16(a * s + b * c);
  }
  store_pack<V>(x + j, ylo);
  store_pack<V>(x + j + half, yhi);
}

// One thread per V channels of one row's k (and the same channels of its v).
template <int V>
__global__ void kv_write_kernel(bf16* k_cache, bf16* v_cache, const bf16* qkv, const std::int32_t* slot,
                                const std::int32_t* pos, Index R, Index L, Index HD, Index KD, Index W) {
  const Index per_row = KD / V;
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= R * per_row) return;
  const Index r = i / per_row, c = (i % per_row) * V;
  const bf16* k = qkv + r * W + HD + c;
  const Index at = (static_cast<Index>(slot[r]) * L + pos[r]) * KD + c;
  store_pack<V>(k_cache + at, load_pack<V>(k));
  store_pack<V>(v_cache + at, load_pack<V>(k + KD));
}

// Block (row r, KV head g, split s): positions [s*split_len, min(n, (s+1)*split_len)), n = pos[r]+1,
// for the G = H/KVH query heads of group g. Per tile of 32 keys: K and V tiles into shared memory
// (fp32, rows padded to D+1 floats so lanes reading consecutive keys hit distinct banks), scores
// q.k in base 2 (q pre-scaled by log2(e)/sqrt(D)), an online-softmax update per head (a warp
// per head: running max m, running sum l, rescale factor), then acc = acc*rescale + p V.
// One split: the normalised output is written. Several: (acc, m, l) go to the workspace
// (R, H, splits, D+2) for merge_kernel.
template <int V>
__global__ void __launch_bounds__(kAttnThreads)
    cached_attention_kernel(bf16* out, float* ws, const bf16* qkv, const bf16* k_cache, const bf16* v_cache,
                            const std::int32_t* slot, const std::int32_t* pos, Index L, Index H, Index KVH, Index D,
                            Index split_len, Index splits, float q_scale) {
  extern __shared__ float sm[];
  const Index r = blockIdx.x, g = blockIdx.y, s = blockIdx.z;  // rows on x: no 65535 limit
  const Index n = static_cast<Index>(pos[r]) + 1;
  const Index t_begin = s * split_len;
  if (t_begin >= n) return;  // this row is shorter: the merge reads only the splits that hold keys
  const Index t_end = n < t_begin + split_len ? n : t_begin + split_len;
  const int G = static_cast<int>(H / KVH), tid = threadIdx.x, lane = tid % 32, warp = tid / 32, warps = blockDim.x / 32,
            nthreads = blockDim.x;
  const int d_n = static_cast<int>(D), ld = d_n + 1, gd = G * d_n;
  const Index W = (H + 2 * KVH) * D, KD = KVH * D;
  float* q_s = sm;                // (G, D)
  float* acc_s = q_s + gd;        // (G, D)
  float* k_s = acc_s + gd;        // (kTile, D+1)
  float* v_s = k_s + kTile * ld;  // (kTile, D+1)
  float* p_s = v_s + kTile * ld;  // (G, kTile): scores, then probabilities
  float* m_s = p_s + G * kTile;   // (G) running max (base 2)
  float* l_s = m_s + G;           // (G) running sum
  float* a_s = l_s + G;           // (G) this tile's rescale of the running values

  const bf16* q = qkv + r * W + g * G * D;  // the group's query heads are adjacent
  for (int i = tid; i < gd; i += nthreads) {
    q_s[i] = __bfloat162float(q[i]) * q_scale;
    acc_s[i] = 0.0f;
  }
  for (int h = tid; h < G; h += nthreads) {
    m_s[h] = -INFINITY;
    l_s[h] = 0.0f;
  }
  const Index base = static_cast<Index>(slot[r]) * L * KD + g * D;  // key j at base + j*KD
  const int packs = d_n / V;
  __syncthreads();
  for (Index t0 = t_begin; t0 < t_end; t0 += kTile) {
    const int nt = static_cast<int>(t_end - t0 < kTile ? t_end - t0 : kTile);
    for (int i = tid; i < nt * packs; i += nthreads) {
      const int j = i / packs, d = (i % packs) * V;
      const Index at = base + (t0 + j) * KD + d;
      const Pack<V> kp = load_pack<V>(k_cache + at), vp = load_pack<V>(v_cache + at);
#pragma unroll
      for (int k = 0; k < V; ++k) {
        k_s[j * ld + d + k] = __bfloat162float(kp.v[k]);
        v_s[j * ld + d + k] = __bfloat162float(vp.v[k]);
      }
    }
    __syncthreads();
    for (int i = tid; i < G * kTile; i += nthreads) {
      const int h = i / kTile, j = i % kTile;
      float sc = -INFINITY;
      if (j < nt) {
        sc = 0.0f;
        const float* qh = q_s + h * d_n;
        const float* kj = k_s + j * ld;
        for (int d = 0; d < d_n; ++d) sc = fmaf(qh[d], kj[d], sc);
      }
      p_s[i] = sc;
    }
    __syncthreads();
    for (int h = warp; h < G; h += warps) {
      const float sc = p_s[h * kTile + lane];
      const float m_old = m_s[h];
      const float m_new = fmaxf(m_old, warp_max(sc));  // finite: nt >= 1
      const float p = lane < nt ? exp2f(sc - m_new) : 0.0f;
      const float sum = warp_sum(p);
      p_s[h * kTile + lane] = p;
      __syncwarp();  // every lane has read m_s[h] before lane 0 replaces it
      if (lane == 0) {
        const float a = exp2f(m_old - m_new);  // 0 on the first tile (m_old = -inf)
        a_s[h] = a;
        l_s[h] = l_s[h] * a + sum;
        m_s[h] = m_new;
      }
    }
    __syncthreads();
    for (int i = tid; i < gd; i += nthreads) {
      const int h = i / d_n, d = i % d_n;
      const float* ph = p_s + h * kTile;
      float acc = acc_s[i] * a_s[h];
      for (int j = 0; j < nt; ++j) acc = fmaf(ph[j], v_s[j * ld + d], acc);
      acc_s[i] = acc;
    }
    __syncthreads();
  }
  if (splits == 1) {
    bf16* o = out + r * H * D + g * G * D;
    for (int i = tid; i < gd; i += nthreads) o[i] = __float2bfloat16(acc_s[i] / l_s[i / d_n]);
  } else {
    for (int i = tid; i < gd; i += nthreads) {
      const int h = i / d_n, d = i % d_n;
      ws[((r * H + g * G + h) * splits + s) * (D + 2) + d] = acc_s[i];
    }
    for (int h = tid; h < G; h += nthreads) {
      float* w = ws + ((r * H + g * G + h) * splits + s) * (D + 2);
      w[D] = m_s[h];
      w[D + 1] = l_s[h];
    }
  }
}

// Block per (row, query head): out = sum_s acc_s 2^(m_s - m) / sum_s l_s 2^(m_s - m) over the
// splits that hold keys of this row.
__global__ void merge_kernel(bf16* out, const float* ws, const std::int32_t* pos, Index H, Index D, Index split_len,
                             Index splits) {
  const Index rh = blockIdx.x, r = rh / H;
  const Index used = cached_attention_used_splits(pos[r], split_len);
  const float* w = ws + rh * splits * (D + 2);
  float m = -INFINITY;
  for (Index s = 0; s < used; ++s) m = fmaxf(m, w[s * (D + 2) + D]);
  float l = 0.0f;
  for (Index s = 0; s < used; ++s) l += w[s * (D + 2) + D + 1] * exp2f(w[s * (D + 2) + D] - m);
  const float inv = 1.0f / l;
  for (Index d = threadIdx.x; d < D; d += blockDim.x) {
    float o = 0.0f;
    for (Index s = 0; s < used; ++s) o += w[s * (D + 2) + d] * exp2f(w[s * (D + 2) + D] - m);
    out[rh * D + d] = __float2bfloat16(o * inv);
  }
}

template <int V>
void launch_attention(dim3 grid, std::size_t smem, cudaStream_t stream, bf16* out, float* ws, const bf16* qkv,
                      const bf16* kc, const bf16* vc, const std::int32_t* slot, const std::int32_t* pos, Index L,
                      Index H, Index KVH, Index D, Index split_len, Index splits, float q_scale) {
  // Large heads or groups: opt in to more than the default 48 KiB of dynamic shared memory, once
  // per size (not again while a decode step is being captured into a CUDA graph).
  static std::size_t opted_in = 48 * 1024;
  if (smem > opted_in) {
    HERMES_CUDA_CHECK(cudaFuncSetAttribute(cached_attention_kernel<V>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                           static_cast<int>(smem)));
    opted_in = smem;
  }
  cached_attention_kernel<V>
      <<<grid, kAttnThreads, smem, stream>>>(out, ws, qkv, kc, vc, slot, pos, L, H, KVH, D, split_len, splits, q_scale);
  HERMES_CUDA_LAUNCH_CHECK();
}
}  // namespace

void rope_at_forward(bf16* qkv, const float* c, const float* s, const std::int32_t* pos, Index R, Index H, Index KVH,
                     Index D, cudaStream_t stream) {
  if (R == 0) return;
  const Index W = (H + 2 * KVH) * D, heads = H + KVH, half = D / 2;
  if (half % 8 == 0 && W % 8 == 0 && aligned16(qkv))
    rope_at_kernel<8>
        <<<grid_for(R * heads * half / 8, kThreads), kThreads, 0, stream>>>(qkv, c, s, pos, R, heads, W, D);
  else
    rope_at_kernel<1><<<grid_for(R * heads * half, kThreads), kThreads, 0, stream>>>(qkv, c, s, pos, R, heads, W, D);
  HERMES_CUDA_LAUNCH_CHECK();
}

void kv_cache_write(bf16* k_cache, bf16* v_cache, const bf16* qkv, const std::int32_t* slot, const std::int32_t* pos,
                    Index R, Index L, Index H, Index KVH, Index D, cudaStream_t stream) {
  if (R == 0) return;
  const Index W = (H + 2 * KVH) * D, KD = KVH * D, HD = H * D;
  if (KD % 8 == 0 && W % 8 == 0 && HD % 8 == 0 && aligned16(qkv) && aligned16(k_cache) && aligned16(v_cache))
    kv_write_kernel<8>
        <<<grid_for(R * KD / 8, kThreads), kThreads, 0, stream>>>(k_cache, v_cache, qkv, slot, pos, R, L, HD, KD, W);
  else
    kv_write_kernel<1>
        <<<grid_for(R * KD, kThreads), kThreads, 0, stream>>>(k_cache, v_cache, qkv, slot, pos, R, L, HD, KD, W);
  HERMES_CUDA_LAUNCH_CHECK();
}

void cached_attention_forward(bf16* out, float* workspace, const bf16* qkv, const bf16* k_cache, const bf16* v_cache,
                              const std::int32_t* slot, const std::int32_t* pos, Index R, Index L, Index H, Index KVH,
                              Index D, cudaStream_t stream) {
  if (R == 0) return;
  const auto plan = cached_attention_plan(R, L, KVH);
  const Index G = H / KVH, splits = plan.splits, split_len = plan.split_len;
  const std::size_t smem =
      static_cast<std::size_t>(2 * G * D + 2 * kTile * (D + 1) + G * kTile + 3 * G) * sizeof(float);
  const float q_scale = static_cast<float>(1.4426950408889634 / std::sqrt(static_cast<double>(D)));  // log2(e)/sqrt(D)
  const dim3 grid(static_cast<unsigned>(R), static_cast<unsigned>(KVH), static_cast<unsigned>(splits));
  if (D % 8 == 0 && aligned16(k_cache) && aligned16(v_cache))
    launch_attention<8>(grid, smem, stream, out, workspace, qkv, k_cache, v_cache, slot, pos, L, H, KVH, D, split_len,
                        splits, q_scale);
  else
    launch_attention<1>(grid, smem, stream, out, workspace, qkv, k_cache, v_cache, slot, pos, L, H, KVH, D, split_len,
                        splits, q_scale);
  if (splits > 1) {
    merge_kernel<<<static_cast<unsigned>(R * H), 64, 0, stream>>>(out, workspace, pos, H, D, split_len, splits);
    HERMES_CUDA_LAUNCH_CHECK();
  }
}

}  // namespace hermes::backend::cuda
