#include "hermes/backend/cuda/device.cuh"
#include "hermes/backend/cuda/optimizer.cuh"

namespace hermes::backend::cuda {

namespace {
constexpr int kThreads = 256;

__global__ void adamw_kernel(float* p, bf16* pb, const float* g, float* m, float* v, const SegmentBlock* blocks,
                             const OptimScalars* sc) {
  const SegmentBlock blk = blocks[blockIdx.x];
  const float lr = sc->lr, b1 = sc->beta1, b2 = sc->beta2, eps = sc->eps, gs = sc->grad_scale;
  const float c1 = sc->bias_c1, c2 = sc->bias_c2;
  const float decay = blk.decays ? 1.0f - lr * sc->weight_decay : 1.0f;
  for (Index i = blk.begin + threadIdx.x; i < blk.end; i += blockDim.x) {
    const Index s = blk.state_begin + (i - blk.begin);
    const float gi = g[i] * gs;
    const float mi = b1 * m[s] + (1.0f - b1) * gi;
    const float vi = b2 * v[s] + (1.0f - b2) * gi * gi;
    m[s] = mi;
    v[s] = vi;
    const float pi = p[i] * decay - lr * (mi / c1) / (sqrtf(vi / c2) + eps);
    p[i] = pi;
    pb[i] = __float2bfloat16(pi);
  }
}

// u = g + mu * (mu * mom + g) (Nesterov), stored transposed for tall matrices so the Gram matrix
// X X^T is the small side.
__global__ void muon_nesterov_kernel(float* x, float* mom, const float* g, Index rows, Index cols, bool tall,
                                     const OptimScalars* sc) {
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= rows * cols) return;
  const float mu = sc->muon_momentum, gi = g[i] * sc->grad_scale;
  const float mi = mu * mom[i] + gi;
  mom[i] = mi;
  const Index r = i / cols, c = i % cols;
  x[tall ? c * rows + r : i] = gi + mu * mi;
}

__global__ void scale_by_norm_kernel(float* x, Index n, const double* norm2) {
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  x[i] *= static_cast<float>(1.0 / (sqrt(*norm2) + 1e-7));
}

__global__ void axpy_kernel(float* y, const float* x, float a, Index n) {
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) y[i] += a * x[i];
}

__global__ void muon_apply_kernel(float* p, bf16* pb, const float* x, Index rows, Index cols, bool tall, bool decays,
                                  const OptimScalars* sc) {
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= rows * cols) return;
  const float lr = sc->muon_lr;
  const float step = lr * sqrtf(fmaxf(1.0f, static_cast<float>(rows) / static_cast<float>(cols)));
  const float d = decays ? 1.0f - lr * sc->weight_decay : 1.0f;
  const Index r = i / cols, c = i % cols;
  const float o = tall ? x[c * rows + r] : x[i];
  const float pi = p[i] * d - step * o;
  p[i] = pi;
  pb[i] = __float2bfloat16(pi);
}

__global__ void sum_squares_partial_kernel(double* partials, const float* x, Index n) {
  __shared__ double shared[32];
  double acc = 0;
  for (Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<Index>(gridDim.x) * blockDim.x)
    acc += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  acc = block_sum(acc, shared);
  if (threadIdx.x == 0) partials[blockIdx.x] = acc;
}
__global__ void sum_partials_kernel(double* out, const double* partials, int n) {
  __shared__ double shared[32];
  double acc = 0;
  for (int i = threadIdx.x; i < n; i += blockDim.x) acc += partials[i];
  acc = block_sum(acc, shared);
  if (threadIdx.x == 0) *out = acc;
}

__global__ void finalize_scale_kernel(OptimScalars* sc, const double* norm2, float max_norm, float* norm_out) {
  const float norm = static_cast<float>(sqrt(*norm2)) * sc->grad_scale;
  if (norm_out) *norm_out = norm;
  if (max_norm > 0.0f && norm > max_norm) sc->grad_scale *= max_norm / (norm + 1e-6f);
}

__global__ void to_bf16_kernel(bf16* out, const float* in, Index n) {
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = __float2bfloat16(in[i]);
}
__global__ void to_float_kernel(float* out, const bf16* in, Index n) {
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = __bfloat162float(in[i]);
}
}  // namespace

void adamw_update(float* params, bf16* params_bf16, const float* grads, float* m, float* v, const SegmentBlock* blocks,
                  Index n_blocks, const OptimScalars* sc, cudaStream_t s) {
  if (n_blocks == 0) return;
  adamw_kernel<<<static_cast<unsigned>(n_blocks), kThreads, 0, s>>>(params, params_bf16, grads, m, v, blocks, sc);
  HERMES_CUDA_LAUNCH_CHECK();
}

void muon_update(float* p, bf16* pb, const float* g, float* mom, Index rows, Index cols, bool decays, int ns_steps,
                 const OptimScalars* sc, const MuonWorkspace& ws, Context& ctx) {
  const cudaStream_t s = ctx.stream();
  const Index n = rows * cols;
  const bool tall = rows > cols;
  const Index r = tall ? cols : rows, k = tall ? rows : cols;
  muon_nesterov_kernel<<<grid_for(n, kThreads), kThreads, 0, s>>>(ws.x, mom, g, rows, cols, tall, sc);
  HERMES_CUDA_LAUNCH_CHECK();
  sum_squares(ws.norm2, ws.x, n, ws.partials, s);
  scale_by_norm_kernel<<<grid_for(n, kThreads), kThreads, 0, s>>>(ws.x, n, ws.norm2);
  HERMES_CUDA_LAUNCH_CHECK();
  const float qa = 3.4445f, qb = -4.7750f, qc = 2.0315f;
  for (int it = 0; it < ns_steps; ++it) {
    ctx.sgemm(false, true, r, r, k, 1.0f, ws.x, k, ws.x, k, 0.0f, ws.gram, r);                // A = X X^T
    ctx.sgemm(false, false, r, r, r, qc, ws.gram, r, ws.gram, r, 0.0f, ws.poly, r);           // B = c A A
    axpy_kernel<<<grid_for(r * r, kThreads), kThreads, 0, s>>>(ws.poly, ws.gram, qb, r * r);  // B += b A
    HERMES_CUDA_LAUNCH_CHECK();
    HERMES_CUDA_CHECK(cudaMemcpyAsync(ws.x2, ws.x, n * sizeof(float), cudaMemcpyDeviceToDevice, s));
    ctx.sgemm(false, false, r, k, r, 1.0f, ws.poly, r, ws.x2, k, qa, ws.x, k);  // X = a X + B X
  }
  muon_apply_kernel<<<grid_for(n, kThreads), kThreads, 0, s>>>(p, pb, ws.x, rows, cols, tall, decays, sc);
  HERMES_CUDA_LAUNCH_CHECK();
}

void sum_squares(double* out, const float* x, Index n, double* partials, cudaStream_t s) {
  sum_squares_partial_kernel<<<kReduceBlocks, kThreads, 0, s>>>(partials, x, n);
  HERMES_CUDA_LAUNCH_CHECK();
  sum_partials_kernel<<<1, kThreads, 0, s>>>(out, partials, kReduceBlocks);
  HERMES_CUDA_LAUNCH_CHECK();
}

void finalize_grad_scale(OptimScalars* sc, const double* norm2, float max_norm, float* norm_out, cudaStream_t s) {
  finalize_scale_kernel<<<1, 1, 0, s>>>(sc, norm2, max_norm, norm_out);
  HERMES_CUDA_LAUNCH_CHECK();
}

void to_bf16(bf16* out, const float* in, Index n, cudaStream_t s) {
  if (n == 0) return;
  to_bf16_kernel<<<grid_for(n, kThreads), kThreads, 0, s>>>(out, in, n);
  HERMES_CUDA_LAUNCH_CHECK();
}
void to_float(float* out, const bf16* in, Index n, cudaStream_t s) {
  if (n == 0) return;
  to_float_kernel<<<grid_for(n, kThreads), kThreads, 0, s>>>(out, in, n);
  HERMES_CUDA_LAUNCH_CHECK();
}

}  // namespace hermes::backend::cuda
