#include "hermes/backend/cuda/decoder.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "hermes/backend/cuda/block_ops.hpp"
#include "hermes/backend/cuda/buffer.cuh"
#include "hermes/backend/cuda/context.cuh"
#include "hermes/backend/cuda/embedding.cuh"
#include "hermes/backend/cuda/graph.hpp"
#include "hermes/model/block.hpp"
#include "hermes/model/decoder.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"
#include "hermes/core/strings.hpp"

namespace hermes::backend::cuda {

namespace {
Index round16(Index n) { return (n + 15) / 16 * 16; }

// fp32 -> bf16 bits, round to nearest even (as __float2bfloat16), NaN kept quiet.
std::uint16_t to_bf16_bits(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<std::uint16_t>(u >> 16);
}
}  // namespace

struct Decoder::Impl {
  Context ctx;
  std::size_t bytes = 0;
  DeviceBlocks blocks;                 // owns every device array below; the pointers are views into it
  Index n_dev = 0;                     // device arena elements (tensors padded to 16)
  std::vector<Index> dev_offsets;      // per parameter_layout tensor
  std::vector<std::uint16_t> staging;  // (n_dev) bf16 bits of params, uploaded in one copy
  model::ParamOffsets po;
  bf16* weights = nullptr;                              // (n_dev)
  bf16 *k_cache = nullptr, *v_cache = nullptr;          // (n_layer, S, L, KVH, D)
  bf16 *x0 = nullptr, *x1 = nullptr, *h = nullptr;      // (max_rows, C): residual stream (ping-pong), normed
  bf16 *qkv = nullptr, *att = nullptr, *tmp = nullptr;  // (max_rows, Q), (max_rows, C) x2
  bf16 *gate = nullptr, *up = nullptr, *act = nullptr;  // (max_rows, F)
  float* rstd = nullptr;                                // (max_rows) 1/rms of the last norm
  float *rope_cos = nullptr, *rope_sin = nullptr;       // (L, D/2) each
  float* attn_ws = nullptr;                             // (cached_attention_workspace(...))
  float* logits = nullptr;                              // (max_slots, ldv) device
  PinnedBuffer<float> logits_host;                      // (max_slots, V)
  std::int32_t* ids = nullptr;                          // (3, max_rows) device: tokens, slots, positions
  PinnedBuffer<std::int32_t> ids_host;                  // staging of ids
  Index ldv = 0;
  std::vector<std::unique_ptr<Graph>> graphs;  // [R]: the decode step with R rows
  std::vector<bool> seen;                      // [R]: an eager decode step with R rows has run

  explicit Impl(int device) : ctx(device) {}
  ~Impl() { graphs.clear(); }  // the graphs before the memory they replay on
  template <class T>
  T* alloc(Index n) {
    return blocks.alloc<T>(n, bytes);
  }
};

Decoder::Decoder(const model::ModelConfig& c, Index max_slots, Index max_rows, int device, bool graphs)
    : config_(c), S_(max_slots), max_rows_(max_rows), L_(c.context_length), len_(max_slots, 0), use_graphs_(graphs) {
  model::validate(c);
  if (c.smear)
    fail("model.smear (the token shift) is not implemented by the CUDA backend yet; use parallel.backend = \"host\"");
  if (max_slots < 1 || max_rows < 1) fail("internal: cuda decoder with {} slots and {} rows", max_slots, max_rows);
  impl_ = std::make_unique<Impl>(device);
  auto& m = *impl_;
  for (const auto& spec : model::parameter_layout(c)) {
    offsets_.push_back({spec.name, n_params_});
    m.dev_offsets.push_back(m.n_dev);
    n_params_ += spec.numel();
    m.n_dev += round16(spec.numel());
  }
  m.po = model::param_offsets(c, m.dev_offsets);
  params_.assign(static_cast<std::size_t>(n_params_), 0.0f);
  m.staging.assign(static_cast<std::size_t>(m.n_dev), 0);
  const Index R = max_rows_, C = c.n_embd, F = c.ffn_hidden, Q = c.qkv_dim(), V = c.vocab_size, D = c.head_dim(),
              KVH = c.n_kv_head, H = c.n_head;
  const Index cache = c.n_layer * S_ * L_ * KVH * D;
  m.ldv = (V + 3) / 4 * 4;  // 16-byte rows for the fp32 GEMM output
  m.weights = m.alloc<bf16>(m.n_dev);
  m.k_cache = m.alloc<bf16>(cache);
  m.v_cache = m.alloc<bf16>(cache);
  m.x0 = m.alloc<bf16>(R * C);
  m.x1 = m.alloc<bf16>(R * C);
  m.h = m.alloc<bf16>(R * C);
  m.qkv = m.alloc<bf16>(R * Q);
  m.att = m.alloc<bf16>(R * C);
  m.tmp = m.alloc<bf16>(R * C);
  if (c.ffn == model::Ffn::swiglu) m.gate = m.alloc<bf16>(R * F);
  m.up = m.alloc<bf16>(R * F);
  m.act = m.alloc<bf16>(R * F);
  m.rstd = m.alloc<float>(R);
  m.rope_cos = m.alloc<float>(L_ * D / 2);
  m.rope_sin = m.alloc<float>(L_ * D / 2);
  m.attn_ws = m.alloc<float>(cached_attention_workspace(R, L_, H, KVH, D));
  m.logits = m.alloc<float>(S_ * m.ldv);
  m.ids = m.alloc<std::int32_t>(3 * R);
  m.graphs.resize(static_cast<std::size_t>(S_ + 1));
  m.seen.assign(static_cast<std::size_t>(S_ + 1), false);
  m.logits_host.allocate(static_cast<std::size_t>(S_ * V));
  m.ids_host.allocate(static_cast<std::size_t>(3 * R));
  rope_table(m.rope_cos, m.rope_sin, L_, D, c.rope_theta, m.ctx.stream());
  HERMES_CUDA_CHECK(cudaStreamSynchronize(m.ctx.stream()));
  log::info("cuda decoder: {} parameters, {} slots x {} positions, {} on device {}, decode steps {}", n_params_, S_, L_,
            format_bytes(static_cast<double>(m.bytes)), device, use_graphs_ ? "as CUDA graphs" : "eager");
}

Decoder::~Decoder() = default;

std::int64_t Decoder::param_offset(const std::string& name) const {
  for (const auto& [n, o] : offsets_)
    if (n == name) return o;
  return -1;
}

std::size_t Decoder::device_bytes() const { return impl_->bytes; }

void Decoder::upload() {
  auto& m = *impl_;
  for (std::size_t i = 0; i < offsets_.size(); ++i) {
    const Index from = offsets_[i].second;
    const Index n = (i + 1 < offsets_.size() ? offsets_[i + 1].second : n_params_) - from;
    for (Index k = 0; k < n; ++k) m.staging[m.dev_offsets[i] + k] = to_bf16_bits(params_[from + k]);
  }
  HERMES_CUDA_CHECK(cudaMemcpyAsync(m.weights, m.staging.data(), m.staging.size() * sizeof(std::uint16_t),
                                    cudaMemcpyHostToDevice, m.ctx.stream()));
  HERMES_CUDA_CHECK(cudaStreamSynchronize(m.ctx.stream()));  // staging may be rewritten next time
  dirty_ = false;
}

const float* Decoder::forward(const std::vector<std::int32_t>& slots, const std::vector<std::int32_t>& tokens,
                              bool last_only) {
  const auto& c = config_;
  const Index R = static_cast<Index>(tokens.size());
  auto& m = *impl_;
  std::int32_t* tok_h = m.ids_host.data();
  std::int32_t* slot_h = tok_h + R;
  std::int32_t* pos_h = slot_h + R;
  model::assign_positions(c, slots, tokens, last_only, max_rows_, len_, pos_h);
  std::copy(tokens.begin(), tokens.end(), tok_h);
  std::copy(slots.begin(), slots.end(), slot_h);
  if (dirty_) upload();
  const Index first = last_only ? R - 1 : 0;
  const cudaStream_t st = m.ctx.stream();
  // Decode steps (all rows' logits) replay one CUDA graph per row count: the first call with R
  // rows runs eagerly (creating its cuBLASLt plans), the second captures, later ones replay. The
  // graph reads tokens, slots and positions from the pinned staging it copies from, so only the
  // values change between replays. Prefill (a different R each prompt) stays eager.
  const bool graph = use_graphs_ && !last_only;
  auto& g = m.graphs[static_cast<std::size_t>(R)];
  if (graph && g && g->ready()) {
    g->launch(st);
  } else if (graph && m.seen[static_cast<std::size_t>(R)]) {
    try {
      auto fresh = std::make_unique<Graph>();
      fresh->capture(st, [&] { enqueue(R, first); });
      g = std::move(fresh);
      g->launch(st);
    } catch (const std::exception& e) {
      log::warn("cuda decoder: CUDA-graph capture failed ({}); decoding without graphs from now on", e.what());
      use_graphs_ = false;
      enqueue(R, first);
    }
  } else {
    enqueue(R, first);
    if (graph) m.seen[static_cast<std::size_t>(R)] = true;
  }
  HERMES_CUDA_CHECK(cudaStreamSynchronize(st));
  return m.logits_host.data();
}

// Everything one forward puts on the stream, from the ids upload to the logits download.
void Decoder::enqueue(Index R, Index first) {
  const auto& c = config_;
  auto& m = *impl_;
  const Index C = c.n_embd, KVH = c.n_kv_head, D = c.head_dim(), V = c.vocab_size;
  const cudaStream_t st = m.ctx.stream();
  const std::int32_t* tok = m.ids;
  const std::int32_t* slot = m.ids + R;
  const std::int32_t* pos = m.ids + 2 * R;
  HERMES_CUDA_CHECK(cudaMemcpyAsync(m.ids, m.ids_host.data(), static_cast<std::size_t>(3 * R) * sizeof(std::int32_t),
                                    cudaMemcpyHostToDevice, st));
  const bf16* w = m.weights;
  embedding_forward(m.x0, tok, w + m.po.tok_emb, R, C, st);
  DecodeOps o;
  model::set_shape(o, c);
  o.ctx = &m.ctx;
  o.L = L_;
  o.rope_cos = m.rope_cos;
  o.rope_sin = m.rope_sin;
  o.slot = slot;
  o.pos = pos;
  o.k_cache = m.k_cache;
  o.v_cache = m.v_cache;
  o.layer_cache = S_ * L_ * KVH * D;
  o.workspace = m.attn_ws;
  // One set of buffers serves every block. The fused residual-norm kernel does not write in
  // place, so the stream ping-pongs: x_l in x0, x_mid in x1, x_{l+1} in x0 again.
  model::BlockTensors<bf16*, float*> t;
  t.res = t.next_res = m.x0;
  t.res_mid = m.x1;
  t.ln1 = t.ln2 = t.next_ln = m.h;
  t.rstd1 = t.rstd2 = t.next_rstd = m.rstd;
  t.qkv = m.qkv;
  t.att = m.att;
  t.gate = m.gate;
  t.up = m.up;
  t.act = m.act;
  t.out = m.tmp;
  model::blocks_forward(
      o, c, R, [&](Index) { return t; }, [&](Index l) { return model::block_weights(w, m.po, l); });
  // The tied head in fp32 for the rows sampling needs: every row, or (prefill) the last one.
  const Index rows = R - first;
  m.ctx.gemm(false, true, rows, V, C, 1.0f, m.h + first * C, C, w + m.po.tok_emb, C, 0.0f, m.logits, CUDA_R_32F, m.ldv);
  HERMES_CUDA_CHECK(cudaMemcpy2DAsync(m.logits_host.data(), static_cast<std::size_t>(V) * sizeof(float), m.logits,
                                      static_cast<std::size_t>(m.ldv) * sizeof(float),
                                      static_cast<std::size_t>(V) * sizeof(float), static_cast<std::size_t>(rows),
                                      cudaMemcpyDeviceToHost, st));
}

const float* Decoder::prefill(Index slot, const std::vector<std::int32_t>& tokens) {
  const std::vector<std::int32_t> slots(tokens.size(), static_cast<std::int32_t>(slot));
  return forward(slots, tokens, true);
}

}  // namespace hermes::backend::cuda
