#include "hermes/model/report.hpp"

#include <fmt/format.h>

#include "hermes/core/strings.hpp"

namespace hermes::model {

std::string presets_table(std::int64_t vocab_size, std::int64_t batch, std::int64_t seq_len, Precision precision) {
  std::string out = fmt::format("{:<12} {:>6} {:>5} {:>5} {:>3} {:>5} {:>6} {:>6} {:>7} {:>14} {:>11} {:>11}\n",
                                "preset", "layers", "width", "heads", "kv", "ffn", "type", "ctx", "vocab", "parameters",
                                "GFLOP/tok", fmt::format("mem b={}", batch));
  for (const auto& name : preset_names()) {
    ModelConfig c = preset(name);
    if (vocab_size > 0) c.vocab_size = vocab_size;
    const std::int64_t t = seq_len > 0 ? seq_len : c.context_length;
    const auto mem = training_memory(c, batch, t, precision);
    out +=
        fmt::format("{:<12} {:>6} {:>5} {:>5} {:>3} {:>5} {:>6} {:>6} {:>7} {:>14} {:>11.3f} {:>11}\n", name, c.n_layer,
                    c.n_embd, c.n_head, c.n_kv_head, c.ffn_hidden, to_string(c.ffn), c.context_length, c.vocab_size,
                    parameter_count(c), training_flops_per_token(c, t) / 1e9, format_bytes(mem.total()));
  }
  out += fmt::format(
      "FLOPs per token: 6N + 12*L*H*Q*T (PaLM), T = {}; memory: {} training per rank (weights, "
      "grads, AdamW state, activations)\n",
      seq_len > 0 ? fmt::format("{}", seq_len) : "each preset's context length", to_string(precision));
  return out;
}

std::string model_report(const ModelConfig& c, std::int64_t batch, std::int64_t seq_len, Precision precision,
                         bool muon) {
  std::int64_t embedding = 0, attention = 0, ffn = 0, norms = 0, biases = 0;
  for (const auto& p : parameter_layout(c)) {
    if (p.name.starts_with("tok_emb"))
      embedding += p.numel();
    else if (p.name.find("norm") != std::string::npos)
      norms += p.numel();
    else if (p.name.ends_with(".bias"))
      biases += p.numel();
    else if (p.name.find(".attn.") != std::string::npos)
      attention += p.numel();
    else
      ffn += p.numel();
  }
  const std::int64_t n = parameter_count(c);
  const double flops = training_flops_per_token(c, seq_len);
  const auto mem = training_memory(c, batch, seq_len, precision, muon);
  std::string out;
  out += fmt::format(
      "model {}: {} layers, width {}, {} heads ({} KV heads, head dim {}), {} FFN {}, "
      "context {}, vocab {}{}\n",
      c.preset, c.n_layer, c.n_embd, c.n_head, c.n_kv_head, c.head_dim(), to_string(c.ffn), c.ffn_hidden,
      c.context_length, c.vocab_size, c.bias ? ", linear biases" : "");
  out += fmt::format("parameters: {} ({})\n", n, format_count(static_cast<double>(n)));
  out += fmt::format("  embedding (tied with the output head) {:>14}\n", embedding);
  out += fmt::format("  attention (qkv + proj)              {:>14}\n", attention);
  out += fmt::format("  feed-forward                        {:>14}\n", ffn);
  out += fmt::format("  norms                               {:>14}\n", norms);
  if (c.bias) out += fmt::format("  biases                              {:>14}\n", biases);
  out += fmt::format("  non-embedding                       {:>14}\n", n - embedding);
  out += fmt::format("training FLOPs per token at T={}: {:.4g} (6N = {:.4g}, attention 12*L*H*Q*T = {:.4g})\n", seq_len,
                     flops, 6.0 * static_cast<double>(n), flops - 6.0 * static_cast<double>(n));
  out += fmt::format("training memory per rank, batch {} x {} tokens, {}, {}:\n", batch, seq_len, to_string(precision),
                     muon ? "Muon+AdamW" : "AdamW");
  out += fmt::format("  weights        {:>12}\n", format_bytes(mem.weights));
  if (mem.master_weights > 0) out += fmt::format("  master (fp32)  {:>12}\n", format_bytes(mem.master_weights));
  out += fmt::format("  gradients      {:>12}\n", format_bytes(mem.gradients));
  out += fmt::format("  optimizer      {:>12}\n", format_bytes(mem.optimizer));
  out += fmt::format("  activations    {:>12}\n", format_bytes(mem.activations));
  out += fmt::format("  total          {:>12}\n", format_bytes(mem.total()));
  return out;
}

}  // namespace hermes::model
