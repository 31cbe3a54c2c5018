#include "hermes/backend/cuda/cross_entropy.cuh"
#include "hermes/backend/cuda/device.cuh"

namespace hermes::backend::cuda {

namespace {
constexpr int kThreads = 512;

struct Stat {
  float m, s;  // running max and sum of exp(x - m)
  float best;  // argmax value
  int arg;     // argmax index (lowest on ties, as the host's first-max scan)
};

__device__ __forceinline__ Stat combine(Stat a, Stat b) {
  Stat r;
  r.m = fmaxf(a.m, b.m);
  r.s = r.m == -INFINITY ? 0.0f : a.s * __expf(a.m - r.m) + b.s * __expf(b.m - r.m);
  const bool take_b = b.best > a.best || (b.best == a.best && b.arg < a.arg);
  r.best = take_b ? b.best : a.best;
  r.arg = take_b ? b.arg : a.arg;
  return r;
}
__device__ __forceinline__ Stat warp_combine(Stat x) {
  for (int o = 16; o > 0; o >>= 1) {
    Stat y;
    y.m = __shfl_xor_sync(0xffffffffu, x.m, o);
    y.s = __shfl_xor_sync(0xffffffffu, x.s, o);
    y.best = __shfl_xor_sync(0xffffffffu, x.best, o);
    y.arg = __shfl_xor_sync(0xffffffffu, x.arg, o);
    x = combine(x, y);
  }
  return x;
}
__device__ __forceinline__ void add(Stat& st, float x, int idx) {
  if (x > st.m) {
    st.s = st.s * __expf(st.m - x) + 1.0f;
    st.m = x;
  } else {
    st.s += __expf(x - st.m);
  }
  if (x > st.best || (x == st.best && idx < st.arg)) {
    st.best = x;
    st.arg = idx;
  }
}

// Row n lives at logits + n * ld (ld >= V; padding columns are never read). Full packs of VEC
// values, then a scalar tail for V % VEC.
template <int VEC>
__global__ void cross_entropy_kernel(bf16* logits, float* row_loss, std::int32_t* row_correct,
                                     const std::int32_t* targets, const std::uint8_t* mask, Index V, Index ld,
                                     float grad_scale, bool write_grad) {
  __shared__ Stat shared[32];
  const Index n = blockIdx.x;
  bf16* z = logits + n * ld;
  const Index full = V / VEC * VEC;
  Stat st{-INFINITY, 0.0f, -INFINITY, 0x7fffffff};
  for (Index v = threadIdx.x * VEC; v < full; v += blockDim.x * VEC) {
    const Pack<VEC> p = load_pack<VEC>(z + v);
#pragma unroll
    for (int k = 0; k < VEC; ++k) add(st, __bfloat162float(p.v[k]), static_cast<int>(v + k));
  }
  for (Index v = full + threadIdx.x; v < V; v += blockDim.x) add(st, __bfloat162float(z[v]), static_cast<int>(v));
  st = warp_combine(st);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  if (lane == 0) shared[warp] = st;
  __syncthreads();
  st = lane < warps ? shared[lane] : Stat{-INFINITY, 0.0f, -INFINITY, 0x7fffffff};
  st = warp_combine(st);  // every warp holds the row's totals
  const bool on = mask == nullptr || mask[n] != 0;
  const Index y = targets[n];
  const float lse = st.m + __logf(st.s);
  if (threadIdx.x == 0) {
    row_loss[n] = on ? lse - __bfloat162float(z[y]) : 0.0f;
    row_correct[n] = on && st.arg == y ? 1 : 0;
  }
  if (!write_grad) return;
  __syncthreads();  // thread 0 has read z[y]
  const float sc = on ? grad_scale : 0.0f, inv = 1.0f / st.s;
  for (Index v = threadIdx.x * VEC; v < full; v += blockDim.x * VEC) {
    Pack<VEC> p = load_pack<VEC>(z + v);
#pragma unroll
    for (int k = 0; k < VEC; ++k) {
      const float g = sc * (__expf(__bfloat162float(p.v[k]) - st.m) * inv - (v + k == y ? 1.0f : 0.0f));
      p.v[k] = __float2bfloat16(g);
    }
    store_pack<VEC>(z + v, p);
  }
  for (Index v = full + threadIdx.x; v < V; v += blockDim.x)
    z[v] = __float2bfloat16(sc * (__expf(__bfloat162float(z[v]) - st.m) * inv - (v == y ? 1.0f : 0.0f)));
}

void launch_ce(bf16* logits, float* row_loss, std::int32_t* row_correct, const std::int32_t* targets,
               const std::uint8_t* mask, Index N, Index V, Index ld, float grad_scale, bool write_grad,
               cudaStream_t s) {
  if (N == 0) return;
  if (ld % 8 == 0 && aligned16(logits))
    cross_entropy_kernel<8>
        <<<N, kThreads, 0, s>>>(logits, row_loss, row_correct, targets, mask, V, ld, grad_scale, write_grad);
  else
    cross_entropy_kernel<1>
        <<<N, kThreads, 0, s>>>(logits, row_loss, row_correct, targets, mask, V, ld, grad_scale, write_grad);
  HERMES_CUDA_LAUNCH_CHECK();
}

__global__ void totals_kernel(double* totals, const float* row_loss, const std::int32_t* row_correct,
                              const std::uint8_t* mask, Index N) {
  __shared__ double shared[32];
  double loss = 0, correct = 0, count = 0;
  for (Index n = threadIdx.x; n < N; n += blockDim.x) {
    loss += row_loss[n];
    correct += row_correct[n];
    count += (mask == nullptr || mask[n] != 0) ? 1.0 : 0.0;
  }
  loss = block_sum(loss, shared);
  correct = block_sum(correct, shared);
  count = block_sum(count, shared);
  if (threadIdx.x == 0) {
    totals[0] += loss;
    totals[1] += correct;
    totals[2] += count;
  }
}
}  // namespace

void cross_entropy_forward_backward(bf16* logits, float* row_loss, std::int32_t* row_correct,
                                    const std::int32_t* targets, const std::uint8_t* mask, Index N, Index V,
                                    float grad_scale, bool write_grad, cudaStream_t s) {
  launch_ce(logits, row_loss, row_correct, targets, mask, N, V, V, grad_scale, write_grad, s);
}

void cross_entropy_totals(double* totals, const float* row_loss, const std::int32_t* row_correct,
                          const std::uint8_t* mask, Index N, cudaStream_t s) {
  totals_kernel<<<1, 1024, 0, s>>>(totals, row_loss, row_correct, mask, N);
  HERMES_CUDA_LAUNCH_CHECK();
}

void cross_entropy_head(bf16* dx, float* dwte, float* row_loss, std::int32_t* row_correct, bf16* logits, const bf16* x,
                        const bf16* wte, const std::int32_t* targets, const std::uint8_t* mask, Index N, Index C,
                        Index V, Index chunk_rows, float grad_scale, Context& ctx) {
  const Index ld = logits_ld(V);
  for (Index r0 = 0; r0 < N; r0 += chunk_rows) {
    const Index rows = N - r0 < chunk_rows ? N - r0 : chunk_rows;
    const bf16* xr = x + r0 * C;
    ctx.gemm(false, true, rows, V, C, 1.0f, xr, C, wte, C, 0.0f, logits, CUDA_R_16BF, ld);  // logits = x Wte^T
    launch_ce(logits, row_loss + r0, row_correct + r0, targets + r0, mask ? mask + r0 : nullptr, rows, V, ld,
              grad_scale, dx != nullptr, ctx.stream());
    if (dx == nullptr) continue;
    ctx.gemm(false, false, rows, C, V, 1.0f, logits, ld, wte, C, 0.0f, dx + r0 * C, CUDA_R_16BF, C);  // dx = dL Wte
    ctx.gemm(true, false, V, C, rows, 1.0f, logits, ld, xr, C, 1.0f, dwte, CUDA_R_32F, C);            // dWte += dL^T x
  }
}

}  // namespace hermes::backend::cuda
