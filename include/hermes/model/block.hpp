#pragma once
// The transformer's sequence of ops, written once for every backend and mode: host and CUDA,
// training and decoding all run these functions. A caller supplies an ops object (what each op
// does on its backend: backend/host/block_ops.hpp, backend/cuda/block_ops.hpp) and says where
// each block's tensors live; these functions say what is computed, and in which order.
//
// Block l (pre-norm, RMSNorm, RoPE), with each residual add fused with the norm after it:
//   qkv = ln1 Wqkv^T (+b); rope(q, k); att = attention(qkv)
//   x_mid = x_l + att Wproj^T (+b);      ln2 = rmsnorm(x_mid)
//   f = down(ffn(ln2))                    (SwiGLU: silu(ln2 Wg^T) * ln2 Wu^T; GELU: gelu(ln2 Wu^T))
//   x_{l+1} = x_mid + f;                  ln1 of block l+1 = rmsnorm(x_{l+1}) (after the last
//                                         block: the final norm, the head's input)
// x_0 is the embedding (the caller's); blocks_forward normalises it for block 0.
//
// The ops object's methods are listed in backend/ops.hpp.
#include <cstdint>

#include "hermes/model/config.hpp"

namespace hermes::model {

// Where one block's activations live for one forward (rows = the batch's tokens, or a decode
// call's rows). Training keeps every block's own; decoding reuses one set for every block.
// C = n_embd, Q = qkv_dim(), F = ffn_hidden.
template <class A, class S>
struct BlockTensors {
  A res{};        // (rows, C) x_l, the block's input
  A ln1{};        // (rows, C) rmsnorm(x_l)
  S rstd1{};      // (rows) its 1/rms
  A qkv{};        // (rows, Q) queries, keys, values; q and k rotated in place
  A saved{};      // what attention keeps for its backward (training; the ops object knows its shape)
  A att{};        // (rows, C) attention output, heads side by side
  A res_mid{};    // (rows, C) x_mid
  A ln2{};        // (rows, C) rmsnorm(x_mid)
  S rstd2{};      // (rows) its 1/rms
  A gate{};       // (rows, F) SwiGLU's gate projection (unused with GELU)
  A up{};         // (rows, F) the up projection (GELU: its pre-activation)
  A act{};        // (rows, F) the activation fed to the down projection
  A out{};        // (rows, C) a projection's output before its residual add (scratch)
  A next_res{};   // (rows, C) x_{l+1}; after the last block x_L
  A next_ln{};    // (rows, C) its norm: block l+1's ln1, or the final norm
  S next_rstd{};  // (rows) its 1/rms
};

// One block's parameters (or their gradients) as pointers; nullptr where a bias is absent.
template <class W>
struct BlockWeights {
  W ln1{}, qkv_w{}, qkv_b{}, proj_w{}, proj_b{}, ln2{}, gate_w{}, gate_b{}, up_w{}, up_b{}, down_w{}, down_b{};
  W next_norm{};  // the norm after the block: block l+1's ln1, or the final norm
};

// Gives an ops object the model's shape: width, the norm's epsilon, the heads.
template <class Ops>
void set_shape(Ops& ops, const ModelConfig& c) {
  ops.C = c.n_embd;
  ops.eps = c.norm_eps;
  ops.H = c.n_head;
  ops.KVH = c.n_kv_head;
  ops.D = c.head_dim();
}

// Block l's parameters in an arena laid out by param_offsets.
template <class W>
BlockWeights<W> block_weights(W base, const ParamOffsets& po, std::int64_t l) {
  auto at = [&](std::int64_t offset) { return offset < 0 ? W{} : base + offset; };
  const auto& o = po.layers[static_cast<std::size_t>(l)];
  const std::int64_t next = l + 1 < static_cast<std::int64_t>(po.layers.size())
                                ? po.layers[static_cast<std::size_t>(l + 1)].ln1
                                : po.final_norm;
  return {at(o.ln1),    at(o.qkv_w), at(o.qkv_b), at(o.proj_w), at(o.proj_b), at(o.ln2), at(o.gate_w),
          at(o.gate_b), at(o.up_w),  at(o.up_b),  at(o.down_w), at(o.down_b), at(next)};
}

// Backward scratch, reused by every block. C, Q, F as above.
template <class A>
struct BackwardScratch {
  A dres{};  // (rows, C) d(loss)/d(residual stream): d(x_{l+1}) on entry to a block, d(x_l) on exit
  A dc{};    // (rows, C) d(loss)/d(a norm's output)
  A dc2{};   // (rows, C) SwiGLU's gate-path share of d(ln2)
  A datt{};  // (rows, C) d(loss)/d(att)
  A dqkv{};  // (rows, Q) d(loss)/d(qkv)
  A df1{};   // (rows, F) d(loss)/d(act), then of the up projection
  A df2{};   // (rows, F) d(loss)/d(gate)
};

template <class Ops, class A, class S, class W>
void block_forward(Ops& ops, const ModelConfig& c, std::int64_t l, std::int64_t rows, const BlockTensors<A, S>& t,
                   const BlockWeights<W>& w) {
  const std::int64_t C = c.n_embd, Q = c.qkv_dim(), F = c.ffn_hidden;
  ops.linear(t.qkv, t.ln1, w.qkv_w, w.qkv_b, rows, C, Q);
  ops.rope(t.qkv, rows);
  ops.attention(l, t.att, t.saved, t.qkv, rows);
  ops.linear(t.out, t.att, w.proj_w, w.proj_b, rows, C, C);
  ops.residual_norm(t.res_mid, t.ln2, t.rstd2, t.res, t.out, w.ln2, rows);
  if (c.ffn == Ffn::swiglu) {
    ops.linear(t.gate, t.ln2, w.gate_w, w.gate_b, rows, C, F);
    ops.linear(t.up, t.ln2, w.up_w, w.up_b, rows, C, F);
    ops.swiglu(t.act, t.gate, t.up, rows * F);
  } else {
    ops.linear_gelu(t.act, t.up, t.ln2, w.up_w, w.up_b, rows, C, F);
  }
  ops.linear(t.out, t.act, w.down_w, w.down_b, rows, F, C);
  ops.residual_norm(t.next_res, t.next_ln, t.next_rstd, t.res_mid, t.out, w.next_norm, rows);
}

// Block l's backward: d.dres holds d(loss)/d(x_{l+1}) on entry (the norm after the block has
// added its share) and d(loss)/d(x_l) on exit.
template <class Ops, class A, class S, class W, class G>
void block_backward(Ops& ops, const ModelConfig& c, std::int64_t l, std::int64_t rows, const BlockTensors<A, S>& t,
                    const BlockWeights<W>& w, const BlockWeights<G>& g, const BackwardScratch<A>& d) {
  const std::int64_t C = c.n_embd, Q = c.qkv_dim(), F = c.ffn_hidden;
  // FFN: d.dres is d(x_{l+1}) = d(f), and d(x_mid) through the skip.
  if (c.ffn == Ffn::swiglu) {
    ops.linear_backward(d.df1, g.down_w, g.down_b, d.dres, t.act, w.down_w, rows, F, C);
    ops.swiglu_backward(d.df2, d.df1, t.gate, t.up, d.df1, rows * F);
    ops.linear_backward(d.dc, g.up_w, g.up_b, d.df1, t.ln2, w.up_w, rows, C, F);
    ops.linear_backward(d.dc2, g.gate_w, g.gate_b, d.df2, t.ln2, w.gate_w, rows, C, F);
    ops.add(d.dc, d.dc, d.dc2, rows * C);
  } else {
    ops.linear_gelu_backward(d.df1, g.down_w, g.down_b, d.dres, t.act, w.down_w, t.up, rows, F, C);
    ops.linear_backward(d.dc, g.up_w, g.up_b, d.df1, t.ln2, w.up_w, rows, C, F);
  }
  ops.norm_backward(d.dres, g.ln2, d.dc, t.res_mid, w.ln2, t.rstd2, rows);
  // Attention: d.dres is now d(x_mid).
  ops.linear_backward(d.datt, g.proj_w, g.proj_b, d.dres, t.att, w.proj_w, rows, C, C);
  ops.attention_backward(l, d.dqkv, d.datt, t.qkv, t.att, t.saved, rows);
  ops.rope_backward(d.dqkv, rows);
  ops.linear_backward(d.dc, g.qkv_w, g.qkv_b, d.dqkv, t.ln1, w.qkv_w, rows, C, Q);
  ops.norm_backward(d.dres, g.ln1, d.dc, t.res, w.ln1, t.rstd1, rows);
}

// Every block's forward over x_0 (written by the caller into block 0's res), ending with the
// final norm in the last block's next_ln. tensors(l) and weights(l) give block l's.
template <class Ops, class Tensors, class Weights>
void blocks_forward(Ops& ops, const ModelConfig& c, std::int64_t rows, const Tensors& tensors, const Weights& weights) {
  const auto t0 = tensors(0);
  ops.norm(t0.ln1, t0.rstd1, t0.res, weights(0).ln1, rows);
  for (std::int64_t l = 0; l < c.n_layer; ++l) block_forward(ops, c, l, rows, tensors(l), weights(l));
}

// Every block's backward, last to first. On entry d.dc holds d(loss)/d(final norm's output) and
// d.dres is zero; the final norm's backward runs first. ready(-1) after the final norm and
// ready(l) after block l: every gradient of it and of what follows it is final. On exit d.dres
// holds d(loss)/d(x_0).
template <class Ops, class Tensors, class Weights, class Grads, class A, class Ready>
void blocks_backward(Ops& ops, const ModelConfig& c, std::int64_t rows, const Tensors& tensors, const Weights& weights,
                     const Grads& grads, const BackwardScratch<A>& d, const Ready& ready) {
  const std::int64_t last = c.n_layer - 1;
  const auto tl = tensors(last);
  ops.norm_backward(d.dres, grads(last).next_norm, d.dc, tl.next_res, weights(last).next_norm, tl.next_rstd, rows);
  ready(-1);
  for (std::int64_t l = last; l >= 0; --l) {
    block_backward(ops, c, l, rows, tensors(l), weights(l), grads(l), d);
    ready(l);
  }
}

}  // namespace hermes::model
