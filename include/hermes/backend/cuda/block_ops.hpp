#pragma once
// The CUDA backend's ops object for model/block.hpp, in its two modes, as the host's
// (backend/host/block_ops.hpp): TrainOps over (B, T) windows, DecodeOps over rows against a
// key/value cache. Activations and weights bf16, 1/rms and gradients fp32. Exact rewrites of the
// host ops: the residual add and the norm after it are one kernel, GELU rides in the
// up-projection GEMM's epilogue (and its backward in the down projection's), attention is cuDNN's
// fused kernel where it plans, else cuBLAS + softmax.
#include "hermes/backend/cuda/activation.cuh"
#include "hermes/backend/cuda/attention.cuh"
#include "hermes/backend/cuda/attention_cudnn.hpp"
#include "hermes/backend/cuda/context.cuh"
#include "hermes/backend/cuda/kv_cache.cuh"
#include "hermes/backend/cuda/linear.cuh"
#include "hermes/backend/cuda/rmsnorm.cuh"
#include "hermes/backend/cuda/rope.cuh"

namespace hermes::backend::cuda {

struct BlockOps {
  Context* ctx = nullptr;
  Index C = 0;                  // n_embd
  double eps = 0;               // the norm's epsilon
  Index H = 0, KVH = 0, D = 0;  // query heads, key/value heads, head width
  cudaStream_t stream() const { return ctx->stream(); }
  void norm(bf16* out, float* rstd, const bf16* in, const bf16* w, Index rows) {
    rmsnorm_forward(out, rstd, in, w, rows, C, eps, stream());
  }
  void residual_norm(bf16* res, bf16* out, float* rstd, const bf16* a, const bf16* b, const bf16* w, Index rows) {
    residual_rmsnorm_forward(res, out, rstd, a, b, w, rows, C, eps, stream());
  }
  void linear(bf16* out, const bf16* in, const bf16* w, const bf16* b, Index rows, Index in_dim, Index out_dim) {
    linear_forward(out, in, w, b, rows, in_dim, out_dim, *ctx);
  }
  void linear_gelu(bf16* out, bf16* pre, const bf16* in, const bf16* w, const bf16* b, Index rows, Index in_dim,
                   Index out_dim) {
    linear_gelu_forward(out, pre, in, w, b, rows, in_dim, out_dim, *ctx);
  }
  void swiglu(bf16* out, const bf16* gate, const bf16* up, Index n) { swiglu_forward(out, gate, up, n, stream()); }
};

// Training: rows are B windows of T_len positions. Attention keeps the (B, H, T, T) probabilities,
// or with cuDNN's fused kernel (sdpa) the (B, H, T) fp32 statistics in the same slot.
struct TrainOps : BlockOps {
  Index B = 0, T_len = 0;
  const float* rope_cos = nullptr;  // (T_len, D/2)
  const float* rope_sin = nullptr;
  bf16* scratch = nullptr;         // attention_scratch_elems(...)
  CudnnAttention* sdpa = nullptr;  // the fused plans, or nullptr for cuBLAS + softmax

  void rope(bf16* qkv, Index) { rope_forward(qkv, rope_cos, rope_sin, B, T_len, H, KVH, D, stream()); }
  void attention(Index, bf16* out, bf16* saved, const bf16* qkv, Index) {
    if (sdpa)
      sdpa->forward(out, reinterpret_cast<float*>(saved), qkv);
    else
      attention_forward(out, saved, qkv, B, T_len, H, KVH, D, scratch, *ctx);
  }
  void norm_backward(bf16* dinp, float* dw, const bf16* dout, const bf16* inp, const bf16* w, const float* rstd,
                     Index rows) {
    rmsnorm_backward(dinp, dw, dout, inp, w, rstd, rows, C, stream());
  }
  void linear_backward(bf16* dinp, float* dw, float* db, const bf16* dout, const bf16* inp, const bf16* w, Index rows,
                       Index in_dim, Index out_dim) {
    cuda::linear_backward(dinp, dw, db, dout, inp, w, rows, in_dim, out_dim, *ctx);
  }
  void linear_gelu_backward(bf16* dpre, float* dw, float* db, const bf16* dout, const bf16* act, const bf16* w,
                            const bf16* pre, Index rows, Index in_dim, Index out_dim) {
    linear_backward_dgelu(dpre, dw, db, dout, act, w, pre, rows, in_dim, out_dim, *ctx);
  }
  void swiglu_backward(bf16* dgate, bf16* dup, const bf16* gate, const bf16* up, const bf16* dout, Index n) {
    cuda::swiglu_backward(dgate, dup, gate, up, dout, n, stream());
  }
  void add(bf16* out, const bf16* a, const bf16* b, Index n) { residual_forward(out, a, b, n, stream()); }
  void attention_backward(Index, bf16* dqkv, const bf16* datt, const bf16* qkv, const bf16* out, const bf16* saved,
                          Index) {
    if (sdpa)  // O is the layer's attention output, still in its slot
      sdpa->backward(dqkv, datt, qkv, out, reinterpret_cast<const float*>(saved));
    else
      cuda::attention_backward(dqkv, scratch, datt, qkv, saved, B, T_len, H, KVH, D, *ctx);
  }
  void rope_backward(bf16* dqkv, Index) {
    cuda::rope_backward(dqkv, rope_cos, rope_sin, B, T_len, H, KVH, D, stream());
  }
};

// Decoding: row r extends slot[r] at position pos[r] (device arrays); attention writes the rows'
// keys and values into layer l's cache and attends over the slot's cached positions.
struct DecodeOps : BlockOps {
  Index L = 0;                      // positions per slot
  const float* rope_cos = nullptr;  // (L, D/2)
  const float* rope_sin = nullptr;
  const std::int32_t* slot = nullptr;
  const std::int32_t* pos = nullptr;
  bf16* k_cache = nullptr;  // (n_layer, S, L, KVH, D)
  bf16* v_cache = nullptr;
  Index layer_cache = 0;       // S * L * KVH * D
  float* workspace = nullptr;  // cached_attention_workspace(...)

  void rope(bf16* qkv, Index rows) { rope_at_forward(qkv, rope_cos, rope_sin, pos, rows, H, KVH, D, stream()); }
  void attention(Index l, bf16* out, bf16*, const bf16* qkv, Index rows) {
    bf16* kc = k_cache + l * layer_cache;
    bf16* vc = v_cache + l * layer_cache;
    kv_cache_write(kc, vc, qkv, slot, pos, rows, L, H, KVH, D, stream());
    cached_attention_forward(out, workspace, qkv, kc, vc, slot, pos, rows, L, H, KVH, D, stream());
  }
};

}  // namespace hermes::backend::cuda
