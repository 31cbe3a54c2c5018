#pragma once
// Where a training pass keeps its activations: one layout that the host Transformer and the CUDA
// Model both allocate, over two arenas. The activation arena (the backend's element type: the
// host's scalar, bf16 on CUDA) holds every block's tensors of model/block.hpp, x_L and its norm,
// and the backward scratch; the statistics arena (the host's scalar, fp32 on CUDA) holds each
// norm's 1/rms per row. A backend appends what only it keeps (the logits, the token shift's
// tensors) after `backend_start`. Every tensor starts on a 16-element boundary (64 bytes in fp32).
#include <cstdint>
#include <vector>

#include "hermes/model/block.hpp"
#include "hermes/model/config.hpp"

namespace hermes::model {

struct ActivationLayout {
  using Index = std::int64_t;
  // Offsets into the activation arena. N = batch*seq_len rows, C = n_embd, Q = qkv_dim(),
  // F = ffn_hidden.
  struct Block {
    Index res;      // (N, C) x_l
    Index ln1;      // (N, C) rmsnorm(x_l)
    Index qkv;      // (N, Q)
    Index saved;    // what attention keeps for its backward (saved_elems)
    Index att;      // (N, C)
    Index res_mid;  // (N, C) x_mid
    Index ln2;      // (N, C) rmsnorm(x_mid)
    Index gate;     // (N, F) SwiGLU only; -1 with GELU
    Index up;       // (N, F)
    Index act;      // (N, F)
  };
  Index rows = 0;             // N
  std::vector<Block> blocks;  // (n_layer)
  Index res_final = 0;        // (N, C) x_L
  Index lnf = 0;              // (N, C) the final norm
  // Backward scratch, reused by every block (BackwardScratch); dc2 is also forward's `out`.
  Index dres = 0, dc = 0, dc2 = 0, datt = 0;  // (N, C) each
  Index dqkv = 0;                             // (N, Q)
  Index df1 = 0, df2 = 0;                     // (N, F) each
  Index attention_scratch = 0;                // (attention_scratch_elems) attention's workspace
  Index backend_start = 0;                    // elements of the shared part; a backend's own follow
  Index stats_elems = 0;                      // (2 n_layer + 1, N): ln1 and ln2 per block, then lnf

  // Block l's tensors over arenas at `acts` and `stats`.
  template <class A, class S>
  BlockTensors<A, S> block(A acts, S stats, Index l) const {
    const auto& b = blocks[static_cast<std::size_t>(l)];
    const bool last = l + 1 == static_cast<Index>(blocks.size());
    const Block* next = last ? nullptr : &blocks[static_cast<std::size_t>(l + 1)];
    BlockTensors<A, S> t;
    t.res = acts + b.res;
    t.ln1 = acts + b.ln1;
    t.rstd1 = stats + 2 * l * rows;
    t.qkv = acts + b.qkv;
    t.saved = acts + b.saved;
    t.att = acts + b.att;
    t.res_mid = acts + b.res_mid;
    t.ln2 = acts + b.ln2;
    t.rstd2 = stats + (2 * l + 1) * rows;
    t.gate = b.gate < 0 ? A{} : acts + b.gate;
    t.up = acts + b.up;
    t.act = acts + b.act;
    t.out = acts + dc2;  // free in forward: backward's scratch
    t.next_res = acts + (last ? res_final : next->res);
    t.next_ln = acts + (last ? lnf : next->ln1);
    t.next_rstd = stats + 2 * (l + 1) * rows;  // after the last block: the final norm's
    return t;
  }
  template <class A>
  BackwardScratch<A> scratch(A acts) const {
    return {acts + dres, acts + dc, acts + dc2, acts + datt, acts + dqkv, acts + df1, acts + df2};
  }
};

// saved_elems: what attention keeps per block for its backward (the host: each row's
// log-sum-exp, B·H·T; CUDA: the probabilities or cuDNN's statistics). attention_scratch_elems:
// its workspace.
ActivationLayout activation_layout(const ModelConfig& config, std::int64_t batch, std::int64_t seq_len,
                                   std::int64_t saved_elems, std::int64_t attention_scratch_elems);

// Rounds an arena offset up to the next tensor start (16 elements).
inline std::int64_t arena_round(std::int64_t n) { return (n + 15) / 16 * 16; }

}  // namespace hermes::model
