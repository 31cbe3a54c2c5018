#pragma once
// The host backend's ops object for model/block.hpp, in its two modes: TrainOps over (B, T)
// windows (forward and backward), DecodeOps over rows that extend sequences in a key/value cache
// (forward only). They differ only in rope and attention; the rest is BlockOps, the host ops of
// backend/ops.hpp with the norm's epsilon and the width bound.
#include "hermes/backend/ops.hpp"

namespace hermes::backend::host {

template <class T>
struct BlockOps {
  Index C = 0;                  // n_embd
  double eps = 0;               // the norm's epsilon
  Index H = 0, KVH = 0, D = 0;  // query heads, key/value heads, head width
  void norm(T* out, T* rstd, const T* in, const T* w, Index rows) { rmsnorm_forward(out, rstd, in, w, rows, C, eps); }
  void residual_norm(T* res, T* out, T* rstd, const T* a, const T* b, const T* w, Index rows) {
    residual_forward(res, a, b, rows * C);
    rmsnorm_forward(out, rstd, res, w, rows, C, eps);
  }
  void linear(T* out, const T* in, const T* w, const T* b, Index rows, Index in_dim, Index out_dim) {
    linear_forward(out, in, w, b, rows, in_dim, out_dim);
  }
  void linear_gelu(T* out, T* pre, const T* in, const T* w, const T* b, Index rows, Index in_dim, Index out_dim) {
    linear_forward(pre, in, w, b, rows, in_dim, out_dim);
    gelu_forward(out, pre, rows * out_dim);
  }
  void swiglu(T* out, const T* gate, const T* up, Index n) { swiglu_forward(out, gate, up, n); }
};

// Training: rows are B windows of T_len positions; attention saves each row's log-sum-exp.
template <class T>
struct TrainOps : BlockOps<T> {
  using BlockOps<T>::H, BlockOps<T>::KVH, BlockOps<T>::D;
  Index B = 0, T_len = 0;
  const T* rope_cos = nullptr;              // (T_len, D/2)
  const T* rope_sin = nullptr;              // (T_len, D/2)
  T* scratch = nullptr;                     // (attention_scratch_elems(T_len))
  const std::int32_t* doc_start = nullptr;  // (B, T_len) or nullptr: plain causal attention

  void rope(T* qkv, Index) { rope_forward(qkv, rope_cos, rope_sin, B, T_len, H, KVH, D); }
  void attention(Index, T* out, T* lse, const T* qkv, Index) {
    attention_forward(out, lse, qkv, B, T_len, H, KVH, D, scratch, doc_start);
  }
  void norm_backward(T* dinp, T* dw, const T* dout, const T* inp, const T* w, const T* rstd, Index rows) {
    rmsnorm_backward(dinp, dw, dout, inp, w, rstd, rows, this->C);
  }
  void linear_backward(T* dinp, T* dw, T* db, const T* dout, const T* inp, const T* w, Index rows, Index in_dim,
                       Index out_dim) {
    host::linear_backward(dinp, dw, db, dout, inp, w, rows, in_dim, out_dim);
  }
  void linear_gelu_backward(T* dpre, T* dw, T* db, const T* dout, const T* act, const T* w, const T* pre, Index rows,
                            Index in_dim, Index out_dim) {
    host::linear_backward(dpre, dw, db, dout, act, w, rows, in_dim, out_dim);  // d(act) first
    gelu_backward(dpre, pre, dpre, rows * in_dim);
  }
  void swiglu_backward(T* dgate, T* dup, const T* gate, const T* up, const T* dout, Index n) {
    host::swiglu_backward(dgate, dup, gate, up, dout, n);
  }
  void add(T* out, const T* a, const T* b, Index n) { residual_forward(out, a, b, n); }
  void attention_backward(Index, T* dqkv, const T* datt, const T* qkv, const T*, const T* lse, Index) {
    host::attention_backward(dqkv, scratch, datt, qkv, lse, B, T_len, H, KVH, D, doc_start);
  }
  void rope_backward(T* dqkv, Index) { host::rope_backward(dqkv, rope_cos, rope_sin, B, T_len, H, KVH, D); }
};

// Decoding: row r extends slot[r] at position pos[r]; attention writes the rows' keys and values
// into layer l's cache and attends over the slot's cached positions.
template <class T>
struct DecodeOps : BlockOps<T> {
  using BlockOps<T>::H, BlockOps<T>::KVH, BlockOps<T>::D;
  Index L = 0;                  // positions per slot
  const T* rope_cos = nullptr;  // (L, D/2)
  const T* rope_sin = nullptr;  // (L, D/2)
  const std::int32_t* slot = nullptr;
  const std::int32_t* pos = nullptr;
  T* k_cache = nullptr;  // (n_layer, S, L, KVH, D)
  T* v_cache = nullptr;
  Index layer_cache = 0;  // S * L * KVH * D
  T* scores = nullptr;    // (rows * H, L) workspace

  void rope(T* qkv, Index rows) { rope_at_forward(qkv, rope_cos, rope_sin, pos, rows, H, KVH, D); }
  void attention(Index l, T* out, T*, const T* qkv, Index rows) {
    T* kc = k_cache + l * layer_cache;
    T* vc = v_cache + l * layer_cache;
    kv_cache_write(kc, vc, qkv, slot, pos, rows, L, H, KVH, D);
    cached_attention_forward(out, scores, qkv, kc, vc, slot, pos, rows, L, H, KVH, D);
  }
};

}  // namespace hermes::backend::host
