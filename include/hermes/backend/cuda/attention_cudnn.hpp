#pragma once
// cuDNN fused flash attention (causal, grouped-query) through cuDNN's backend graph API, without
// cudnn_frontend: the operation graphs below are handed to cuDNN's heuristics (mode A), the first
// engine configuration that finalises becomes the execution plan, and a step only fills a variant
// pack and calls cudnnBackendExecute on the context's stream (no allocation, capture-safe).
// Same math as backend/host/attention.hpp, without the (B, H, T, T) probabilities:
//   forward   S = Q K^T * scale; causal mask (row >= col keeps, else a very negative value);
//             Stats = max + log(sum exp(S - max)) (B, H, T, 1) fp32, saved; O = softmax(S) V
//   backward  Delta = rowsum(dO * O); P = exp(S - Stats) (S recomputed); dV = P^T dO;
//             dS = P (dO V^T - Delta) * scale; dQ = dS K; dK = dS^T Q
// Q, K, V are read in place from the packed qkv rows [q (H*D) | k (KVH*D) | v (KVH*D)] by strides;
// O and dO are the (B, T, H*D) rows; dQ, dK, dV are written in place into dqkv (=, every element).
// GQA (KVH < H): query head h reads KV head h / (H / KVH) through the matmuls' batch broadcast;
// in backward dK, dV come out per query head and a reduction in the graph adds each group.
// bf16 in and out, fp32 compute and statistics.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "hermes/backend/cuda/context.cuh"

namespace hermes::backend::cuda {

class CudnnAttention {
 public:
  // Builds and finalises the forward and backward plans for one shape and allocates their
  // workspace. Throws hermes::Error with cuDNN's reason when cuDNN refuses (unsupported head
  // dim, GPU architecture or version); choose_attention() then falls back.
  CudnnAttention(Context& ctx, Index B, Index T_len, Index n_head, Index n_kv_head, Index D);
  ~CudnnAttention();  // where Graph is complete
  CudnnAttention(const CudnnAttention&) = delete;
  CudnnAttention& operator=(const CudnnAttention&) = delete;

  void forward(bf16* out,          // (B, T, n_head*D)
               float* stats,       // (B, n_head, T) log-sum-exp of the scaled masked scores, for backward
               const bf16* qkv);   // (B, T, (n_head + 2*n_kv_head)*D), after RoPE
  void backward(bf16* dqkv,        // (B, T, (n_head + 2*n_kv_head)*D) =
                const bf16* dout,  // (B, T, n_head*D)
                const bf16* qkv, const bf16* out, const float* stats);

  std::size_t device_bytes() const { return workspace_bytes_; }
  // One line for the start-up log: engines picked, workspace.
  const char* summary() const;

  struct Graph;

 private:
  Context& ctx_;
  Index B_, T_, H_, KVH_, D_;
  // Destroyed in reverse: the plans before the handle they were built on.
  Owned<cudnnHandle_t, cudnnDestroy> handle_;
  std::unique_ptr<Graph> fwd_, bwd_;
  DeviceBuffer<std::byte> workspace_;  // the larger of the two plans' workspaces
  std::size_t workspace_bytes_ = 0;
  char summary_[256] = {};
};

// fp32 elements of the forward statistics (what replaces the (B, H, T, T) probabilities).
inline Index cudnn_attention_stats_elems(Index B, Index T_len, Index n_head) { return B * n_head * T_len; }

// Builds and finalises both operation graphs without a handle or a GPU: a host-side check that
// cuDNN accepts every descriptor, operation and the graphs' wiring. With device_json (cuDNN's
// device-property description: deviceVer 900 for an H100, ...) it also runs the heuristics (mode
// A) for that device and counts the engine configurations that pass cuDNN's support checks: the
// shape, type and pattern checks of its fused attention engines, without a GPU. Those engines are
// compiled at run time and their checks need the driver library (libcuda.so.1) loadable; the
// toolkit's stub is enough (docs/cuda.md). Throws hermes::Error when cuDNN refuses a descriptor.
struct SdpaGraphCounts {
  int forward_ops = 0, backward_ops = 0;
  std::int64_t forward_offered = 0, backward_offered = 0;  // heuristic results before support checks
  std::int64_t forward_engines = 0, backward_engines = 0;  // those passing them
};
SdpaGraphCounts check_cudnn_attention_graphs(Index B, Index T_len, Index n_head, Index n_kv_head, Index D,
                                             const std::string& device_json = {});

}  // namespace hermes::backend::cuda
