#pragma once
// The ops interface. A backend gives the transformer (model/block.hpp, which says in what order
// they run) an ops object with these methods; backend/host/block_ops.hpp and
// backend/cuda/block_ops.hpp are the two. A is an activation pointer, S a statistics pointer
// (1/rms per row), W a weight pointer, G a gradient pointer (nullptr for an absent bias); rows
// are C = n_embd wide unless a width is given.
//   norm(out, rstd, in, w, rows)                          out = rmsnorm(in) * w
//   residual_norm(res, out, rstd, a, b, w, rows)          res = a + b; out = rmsnorm(res) * w
//   linear(out, in, w, b, rows, in_dim, out_dim)          out = in w^T (+ b)
//   linear_gelu(out, pre, in, w, b, rows, in_dim, out_dim) pre = in w^T (+ b); out = gelu(pre)
//   swiglu(out, gate, up, n)                              out = silu(gate) * up
//   rope(qkv, rows)                                       q, k rotated at each row's position
//   attention(layer, out, saved, qkv, rows)               causal attention; `saved` is what its
//                                                         backward needs (decoding: the KV cache)
// Training also needs the gradients (activation gradients written, parameter gradients added;
// norm_backward adds into the residual stream's gradient):
//   norm_backward(dinp, dw, dout, inp, w, rstd, rows)
//   linear_backward(dinp, dw, db, dout, inp, w, rows, in_dim, out_dim)
//   linear_gelu_backward(dpre, dw, db, dout, act, w, pre, rows, in_dim, out_dim)
//                                                         the down projection's backward, then
//                                                         GELU's: dpre = gelu'(pre) * d(act)
//   swiglu_backward(dgate, dup, gate, up, dout, n)
//   add(out, a, b, n)
//   attention_backward(layer, dqkv, datt, qkv, out, saved, rows)
//   rope_backward(dqkv, rows)
//
// Each method is built from the ops below: one op per header pair in backend/host/ (forward and
// backward together), each opening with its math, shapes and gradient rule. Rules (llm.c's):
// parameter grads accumulate (+=) so micro-batches add up without copies; activation grads are
// written (=), except rmsnorm's dinp which adds into the residual stream. All tensors are
// row-major, contiguous unless a leading dimension is given. The host backend is templated on
// the scalar (float for training, double for the finite-difference tests); the CUDA backend
// implements the same functions, same names and argument order, in backend::cuda.
#include "hermes/backend/host/attention.hpp"
#include "hermes/backend/host/common.hpp"
#include "hermes/backend/host/cross_entropy.hpp"
#include "hermes/backend/host/embedding.hpp"
#include "hermes/backend/host/gelu.hpp"
#include "hermes/backend/host/linear.hpp"
#include "hermes/backend/host/residual.hpp"
#include "hermes/backend/host/rmsnorm.hpp"
#include "hermes/backend/host/rope.hpp"
#include "hermes/backend/host/smear.hpp"
#include "hermes/backend/host/swiglu.hpp"
#include "hermes/backend/host/kv_cache.hpp"
