#include "hermes/backend/cuda/device.cuh"
#include "hermes/backend/cuda/embedding.cuh"

namespace hermes::backend::cuda {

namespace {
// One thread per V channels of one row.
template <int V>
__global__ void embedding_forward_kernel(bf16* out, const std::int32_t* tokens, const bf16* wte, Index N, Index C) {
  const Index per_row = C / V;
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= N * per_row) return;
  const Index n = i / per_row, c = (i % per_row) * V;
  store_pack<V>(out + n * C + c, load_pack<V>(wte + static_cast<Index>(tokens[n]) * C + c));
}

template <int V>
__global__ void embedding_backward_kernel(float* dwte, const bf16* dout, const std::int32_t* tokens, Index N, Index C) {
  const Index per_row = C / V;
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= N * per_row) return;
  const Index n = i / per_row, c = (i % per_row) * V;
  const Pack<V> d = load_pack<V>(dout + n * C + c);
  float* row = dwte + static_cast<Index>(tokens[n]) * C + c;
#pragma unroll
  for (int k = 0; k < V; ++k) atomicAdd(row + k, __bfloat162float(d.v[k]));
}
}  // namespace

void embedding_forward(bf16* out, const std::int32_t* tokens, const bf16* wte, Index N, Index C, cudaStream_t s) {
  const int threads = 256;
  if (C % 8 == 0 && aligned16(out) && aligned16(wte))
    embedding_forward_kernel<8><<<grid_for(N * C / 8, threads), threads, 0, s>>>(out, tokens, wte, N, C);
  else
    embedding_forward_kernel<1><<<grid_for(N * C, threads), threads, 0, s>>>(out, tokens, wte, N, C);
  HERMES_CUDA_LAUNCH_CHECK();
}

void embedding_backward(float* dwte, const bf16* dout, const std::int32_t* tokens, Index N, Index C, cudaStream_t s) {
  const int threads = 256;
  if (C % 8 == 0 && aligned16(dout))
    embedding_backward_kernel<8><<<grid_for(N * C / 8, threads), threads, 0, s>>>(dwte, dout, tokens, N, C);
  else
    embedding_backward_kernel<1><<<grid_for(N * C, threads), threads, 0, s>>>(dwte, dout, tokens, N, C);
  HERMES_CUDA_LAUNCH_CHECK();
}

}  // namespace hermes::backend::cuda
