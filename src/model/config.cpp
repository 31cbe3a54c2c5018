#include "hermes/model/config.hpp"

#include <cmath>

#include <algorithm>
#include <map>

#include "hermes/core/error.hpp"
#include "hermes/core/strings.hpp"

namespace hermes::model {
namespace {

struct PresetEntry {
  ModelConfig config;
  std::int64_t reference_vocab;
};

ModelConfig make(const char* name, std::int64_t layers, std::int64_t width, std::int64_t heads, std::int64_t kv_heads,
                 std::int64_t ffn_hidden, std::int64_t context, Ffn ffn, bool bias) {
  ModelConfig c;
  c.preset = name;
  c.n_layer = layers;
  c.n_embd = width;
  c.n_head = heads;
  c.n_kv_head = kv_heads;
  c.ffn_hidden = ffn_hidden;
  c.context_length = context;
  c.ffn = ffn;
  c.bias = bias;
  return c;
}

// GPT-style presets use GELU and biases (GPT-2's layout, with RMSNorm and RoPE in place of
// LayerNorm and learned positions); LLaMA-style presets use SwiGLU, no biases, optional GQA.
const std::vector<std::pair<std::string, PresetEntry>>& table() {
  static const std::vector<std::pair<std::string, PresetEntry>> presets = {
      {"nano", {make("nano", 2, 64, 4, 4, 256, 128, Ffn::gelu, true), 512}},
      {"tiny", {make("tiny", 4, 128, 4, 4, 512, 256, Ffn::gelu, true), 2048}},
      {"gpt2-small", {make("gpt2-small", 12, 768, 12, 12, 3072, 1024, Ffn::gelu, true), 50257}},
      {"gpt2-medium", {make("gpt2-medium", 24, 1024, 16, 16, 4096, 1024, Ffn::gelu, true), 50257}},
      {"gpt2-large", {make("gpt2-large", 36, 1280, 20, 20, 5120, 1024, Ffn::gelu, true), 50257}},
      {"llama-small", {make("llama-small", 12, 768, 12, 4, 2048, 2048, Ffn::swiglu, false), 32000}},
      {"agentic-50m", {make("agentic-50m", 6, 384, 8, 8, 1536, 512, Ffn::swiglu, false), 49152}},
  };
  return presets;
}

const PresetEntry& find(const std::string& name) {
  for (const auto& [n, e] : table())
    if (n == name) return e;
  const auto& names = preset_names();
  const std::string hint = closest_match(name, names);
  fail("unknown model preset '{}'{}; presets: {}", name, hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint),
       join(names, ", "));
}

}  // namespace

const std::vector<std::string>& preset_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [name, entry] : table()) n.push_back(name);
    return n;
  }();
  return names;
}

ModelConfig preset(const std::string& name) {
  ModelConfig c = find(name).config;
  c.vocab_size = find(name).reference_vocab;
  return c;
}

std::int64_t preset_reference_vocab(const std::string& name) { return find(name).reference_vocab; }

std::string to_string(Ffn ffn) { return ffn == Ffn::gelu ? "gelu" : "swiglu"; }

Ffn parse_ffn(const std::string& name) {
  if (name == "gelu") return Ffn::gelu;
  if (name == "swiglu") return Ffn::swiglu;
  fail("unknown ffn '{}': use gelu or swiglu", name);
}

void validate(const ModelConfig& c) {
  // Sizes come from decks (already bounded there) and from checkpoint and import headers (not).
  const auto within = [](const char* key, std::int64_t v, std::int64_t lo, std::int64_t hi) {
    if (v < lo || v > hi) fail("model: {} = {} is out of range: must be between {} and {}", key, v, lo, hi);
  };
  within("vocab_size", c.vocab_size, 1, std::int64_t{1} << 31);
  within("n_layer", c.n_layer, 1, 1024);
  within("n_embd", c.n_embd, 1, std::int64_t{1} << 16);
  within("n_head", c.n_head, 1, 1024);
  within("n_kv_head", c.n_kv_head, 1, 1024);
  within("ffn_hidden", c.ffn_hidden, 1, std::int64_t{1} << 20);
  within("context_length", c.context_length, 1, std::int64_t{1} << 24);
  if (!(c.rope_theta > 0) || !std::isfinite(c.rope_theta))
    fail("model: rope_theta = {} must be a positive number", c.rope_theta);
  if (!(c.norm_eps > 0) || !std::isfinite(c.norm_eps))
    fail("model: norm_eps = {} must be a positive number", c.norm_eps);
  if (!(c.init_std >= 0) || !std::isfinite(c.init_std))
    fail("model: init_std = {} must be a non-negative number", c.init_std);
  if (c.n_embd % c.n_head != 0)
    fail("model: n_embd = {} is not divisible by n_head = {}; choose n_head dividing the width", c.n_embd, c.n_head);
  if (c.head_dim() % 2 != 0)
    fail("model: head dimension n_embd / n_head = {} is odd; RoPE rotates pairs, so it must be even", c.head_dim());
  if (c.n_kv_head > c.n_head || c.n_head % c.n_kv_head != 0)
    fail(
        "model: n_kv_head = {} must divide n_head = {} (grouped-query attention shares each KV head "
        "among n_head / n_kv_head query heads)",
        c.n_kv_head, c.n_head);
  if (c.vocab_size < 256) fail("model: vocab_size = {} is below the 256 byte tokens", c.vocab_size);
}

std::int64_t ParamSpec::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::vector<ParamSpec> parameter_layout(const ModelConfig& c) {
  std::vector<ParamSpec> p;
  const std::int64_t C = c.n_embd, F = c.ffn_hidden;
  p.push_back({"tok_emb.weight", {c.vocab_size, C}, false, false});
  // Right after the embedding: backward finishes both last, so gradient readiness stays ordered.
  if (c.smear) p.push_back({"smear.weight", {C}, false, false});
  auto linear = [&](const std::string& name, std::int64_t out, std::int64_t in) {
    p.push_back({name + ".weight", {out, in}, true, true});
    if (c.bias) p.push_back({name + ".bias", {out}, false, false});
  };
  for (std::int64_t l = 0; l < c.n_layer; ++l) {
    const std::string b = fmt::format("layers.{}.", l);
    p.push_back({b + "attn_norm.weight", {C}, false, false});
    linear(b + "attn.qkv", c.qkv_dim(), C);
    linear(b + "attn.proj", C, C);
    p.push_back({b + "ffn_norm.weight", {C}, false, false});
    if (c.ffn == Ffn::swiglu) linear(b + "ffn.gate", F, C);
    linear(b + "ffn.up", F, C);
    linear(b + "ffn.down", C, F);
  }
  p.push_back({"final_norm.weight", {C}, false, false});
  return p;
}

ParamOffsets param_offsets(const ModelConfig& c, const std::vector<std::int64_t>& arena_offsets) {
  const auto layout = parameter_layout(c);
  HERMES_ASSERT(layout.size() == arena_offsets.size());
  auto off = [&](const std::string& name) -> std::int64_t {
    for (std::size_t i = 0; i < layout.size(); ++i)
      if (layout[i].name == name) return arena_offsets[i];
    return -1;
  };
  ParamOffsets o;
  o.tok_emb = off("tok_emb.weight");
  o.smear = off("smear.weight");
  o.final_norm = off("final_norm.weight");
  for (std::int64_t l = 0; l < c.n_layer; ++l) {
    const std::string b = fmt::format("layers.{}.", l);
    o.layers.push_back({off(b + "attn_norm.weight"), off(b + "attn.qkv.weight"), off(b + "attn.qkv.bias"),
                        off(b + "attn.proj.weight"), off(b + "attn.proj.bias"), off(b + "ffn_norm.weight"),
                        off(b + "ffn.gate.weight"), off(b + "ffn.gate.bias"), off(b + "ffn.up.weight"),
                        off(b + "ffn.up.bias"), off(b + "ffn.down.weight"), off(b + "ffn.down.bias")});
  }
  return o;
}

std::int64_t parameter_count(const ModelConfig& c) {
  std::int64_t n = 0;
  for (const auto& s : parameter_layout(c)) n += s.numel();
  return n;
}

std::int64_t embedding_parameter_count(const ModelConfig& c) { return c.vocab_size * c.n_embd; }

double training_flops_per_token(const ModelConfig& c, std::int64_t seq_len) {
  const double n = static_cast<double>(parameter_count(c));
  return 6.0 * n + 12.0 * static_cast<double>(c.n_layer) * static_cast<double>(c.n_head) *
                       static_cast<double>(c.head_dim()) * static_cast<double>(seq_len);
}

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::fp32;
  if (name == "bf16") return Precision::bf16;
  fail("unknown precision '{}': use fp32 or bf16", name);
}

std::string to_string(Precision p) { return p == Precision::fp32 ? "fp32" : "bf16"; }

MemoryEstimate training_memory(const ModelConfig& c, std::int64_t batch, std::int64_t seq_len, Precision precision,
                               bool muon) {
  const double e = precision == Precision::fp32 ? 4.0 : 2.0;  // activation/weight element bytes
  MemoryEstimate m;
  const auto layout = parameter_layout(c);
  double n = 0, hidden = 0;
  for (const auto& s : layout) {
    n += static_cast<double>(s.numel());
    if (s.is_hidden_matrix) hidden += static_cast<double>(s.numel());
  }
  m.weights = n * e;
  m.master_weights = precision == Precision::bf16 ? n * 4.0 : 0.0;
  m.gradients = n * e;
  // AdamW keeps two fp32 moments; Muon keeps one momentum buffer for the hidden matrices.
  m.optimizer = muon ? (hidden * 4.0 + (n - hidden) * 8.0) : n * 8.0;

  const double bt = static_cast<double>(batch * seq_len);
  const double C = static_cast<double>(c.n_embd), F = static_cast<double>(c.ffn_hidden);
  const double Q = static_cast<double>(c.qkv_dim()), H = static_cast<double>(c.n_head);
  // Per block: block input, attn-norm output, qkv, attention output, post-attention residual,
  // ffn-norm output, FFN hidden (2 tensors for GELU, 3 for SwiGLU), plus fp32 rstd per norm.
  const double ffn_tensors = c.ffn == Ffn::swiglu ? 3.0 : 2.0;
  double per_layer = bt * (5.0 * C + Q + ffn_tensors * F) * e + 2.0 * bt * 4.0;
  // Attention keeps only the rows' log-sum-exp (B·H·T fp32) on both backends.
  per_layer += bt * H * 4.0;
  double act = per_layer * static_cast<double>(c.n_layer);
  // The head: final residual, final norm output and rstd, fp32 logits (the loss gradient is
  // written over them), per-token loss/accuracy/token ids; then the backward scratch the host
  // backend reuses across blocks: 4 (N, C) buffers, one (N, Q) and two (N, F). (The
  // attention scratch and RoPE tables do not grow with the batch and are left out.)
  act += 2.0 * bt * C * e + bt * 4.0 + bt * static_cast<double>(c.vocab_size) * 4.0 + 3.0 * bt * 4.0;
  act += bt * (4.0 * C + Q + 2.0 * F) * e;
  // The token shift keeps the embeddings before the shift and the gates, plus one gate scratch.
  if (c.smear) act += bt * (C + 2.0) * e;
  m.activations = act;
  return m;
}

void check_token_ids(const std::int32_t* inputs, const std::int32_t* targets, std::int64_t n, std::int64_t vocab) {
  for (std::int64_t i = 0; i < n; ++i)
    if (inputs[i] < 0 || inputs[i] >= vocab || targets[i] < 0 || targets[i] >= vocab)
      fail(
          "token id {} at position {} is outside the model's vocabulary of {}; the data was "
          "prepared with another tokenizer or model.vocab_size is too small",
          inputs[i] < 0 || inputs[i] >= vocab ? inputs[i] : targets[i], i, vocab);
}

void check_doc_starts(const std::int32_t* doc_start, std::int64_t batch, std::int64_t seq_len) {
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t t = 0; t < seq_len; ++t) {
      const std::int32_t s = doc_start[b * seq_len + t];
      if (s < 0 || s > t || (t > 0 && s < doc_start[b * seq_len + t - 1]))
        fail(
            "document start {} at position {} of window {} is outside [previous start, {}]; the batch's document "
            "starts are damaged",
            s, t, b, t);
    }
}

}  // namespace hermes::model
