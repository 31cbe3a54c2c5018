#include "hermes/interop/layout.hpp"

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "hermes/core/error.hpp"
#include "hermes/tokenizer/pretokenizer.hpp"
#include "hermes/tokenizer/tokenizer.hpp"

namespace hermes::interop {
namespace fs = std::filesystem;
using json = nlohmann::json;

std::vector<TensorPiece> tensor_pieces(const model::ModelConfig& c) {
  const std::int64_t C = c.n_embd, F = c.ffn_hidden, KV = c.kv_dim();
  std::vector<TensorPiece> p;
  p.push_back({"model.embed_tokens.weight", "token_embd.weight", "tok_emb.weight", 0, {c.vocab_size, C}, 0});
  for (std::int64_t l = 0; l < c.n_layer; ++l) {
    const std::string h = fmt::format("layers.{}.", l), hf = fmt::format("model.layers.{}.", l),
                      g = fmt::format("blk.{}.", l);
    p.push_back({hf + "input_layernorm.weight", g + "attn_norm.weight", h + "attn_norm.weight", 0, {C}, 0});
    // q, k and v are consecutive row blocks of the packed qkv projection (and of its bias).
    const std::int64_t rows[3] = {C, KV, KV}, heads[3] = {c.n_head, c.n_kv_head, 0};
    const char* hf_names[3] = {"q_proj", "k_proj", "v_proj"};
    const char* gguf_names[3] = {"attn_q", "attn_k", "attn_v"};
    std::int64_t row0 = 0;
    for (int k = 0; k < 3; ++k) {
      p.push_back({fmt::format("{}self_attn.{}.weight", hf, hf_names[k]),
                   fmt::format("{}{}.weight", g, gguf_names[k]),
                   h + "attn.qkv.weight",
                   row0,
                   {rows[k], C},
                   heads[k]});
      if (c.bias)
        p.push_back({fmt::format("{}self_attn.{}.bias", hf, hf_names[k]),
                     fmt::format("{}{}.bias", g, gguf_names[k]),
                     h + "attn.qkv.bias",
                     row0,
                     {rows[k]},
                     heads[k]});
      row0 += rows[k];
    }
    auto linear = [&](const std::string& hf_name, const std::string& gguf_name, const std::string& hermes_name,
                      std::int64_t out, std::int64_t in) {
      p.push_back({hf + hf_name + ".weight", g + gguf_name + ".weight", h + hermes_name + ".weight", 0, {out, in}, 0});
      if (c.bias)
        p.push_back({hf + hf_name + ".bias", g + gguf_name + ".bias", h + hermes_name + ".bias", 0, {out}, 0});
    };
    linear("self_attn.o_proj", "attn_output", "attn.proj", C, C);
    p.push_back({hf + "post_attention_layernorm.weight", g + "ffn_norm.weight", h + "ffn_norm.weight", 0, {C}, 0});
    linear("mlp.gate_proj", "ffn_gate", "ffn.gate", F, C);
    linear("mlp.up_proj", "ffn_up", "ffn.up", F, C);
    linear("mlp.down_proj", "ffn_down", "ffn.down", C, F);
  }
  p.push_back({"model.norm.weight", "output_norm.weight", "final_norm.weight", 0, {C}, 0});
  return p;
}

void check_exportable(const model::ModelConfig& c, const std::string& source) {
  if (c.ffn != model::Ffn::swiglu)
    fail(
        "{}: model.ffn = \"gelu\" (RMSNorm + non-gated GELU + RoPE) matches no transformers or llama.cpp "
        "architecture, so no exported file would compute this model; train an exportable model with "
        "model.ffn = \"swiglu\" (presets llama-small, agentic-50m)",
        source);
  if (c.smear)
    fail(
        "{}: model.smear (the token shift) is in no transformers or llama.cpp architecture, so no exported file "
        "would compute this model; export a model trained with model.smear = false",
        source);
}

void require_end_of_text(const VocabInfo& v, const std::string& source) {
  if (v.end_id < 0)
    fail(
        "{}: the checkpoint's tokenizer has no <|endoftext|> token nor one that plays it ({}), and exports "
        "need an end of text; train with hermes's default tokenizer.special_tokens",
        source, fmt::join(tokenizer::kForeignEndOfText, ", "));
}

CheckpointWeights read_checkpoint_weights(const fs::path& checkpoint) {
  CheckpointWeights w;
  w.header = io::read_checkpoint_header(checkpoint);
  io::CheckpointData into;
  into.model = w.header.model;
  into.tokenizer_fingerprint = w.header.tokenizer_fingerprint;
  for (const auto& spec : model::parameter_layout(w.header.model)) {
    auto& t = w.tensors[spec.name];
    t.resize(static_cast<std::size_t>(spec.numel()));
    into.weights.push_back({spec.name, spec.shape, t.data()});
  }
  io::load_checkpoint(checkpoint, into, false);
  return w;
}

std::vector<float> slice_rows(const std::vector<float>& t, std::int64_t row0, std::int64_t rows, std::int64_t cols) {
  HERMES_ASSERT(static_cast<std::int64_t>(t.size()) >= (row0 + rows) * cols);
  return std::vector<float>(t.begin() + row0 * cols, t.begin() + (row0 + rows) * cols);
}

namespace {
std::vector<float> reorder_rope_rows(const std::vector<float>& w, std::int64_t heads, std::int64_t D, std::int64_t cols,
                                     bool forward) {
  HERMES_ASSERT(static_cast<std::int64_t>(w.size()) == heads * D * cols && D % 2 == 0);
  std::vector<float> out(w.size());
  const std::int64_t half = D / 2;
  for (std::int64_t h = 0; h < heads; ++h)
    for (std::int64_t j = 0; j < half; ++j)
      for (std::int64_t s = 0; s < 2; ++s) {
        const std::int64_t paired = h * D + 2 * j + s, halves = h * D + s * half + j;
        const std::int64_t dst = forward ? paired : halves, src = forward ? halves : paired;
        std::copy_n(w.begin() + src * cols, cols, out.begin() + dst * cols);
      }
  return out;
}
}  // namespace

std::vector<float> permute_rope_rows(const std::vector<float>& w, std::int64_t heads, std::int64_t D,
                                     std::int64_t cols) {
  return reorder_rope_rows(w, heads, D, cols, true);
}
std::vector<float> unpermute_rope_rows(const std::vector<float>& w, std::int64_t heads, std::int64_t D,
                                       std::int64_t cols) {
  return reorder_rope_rows(w, heads, D, cols, false);
}

namespace {

// The pre-tokenizer as a flat list of steps, each described in one short word list.
struct Step {
  std::string type, regex;
  bool use_regex = false, prefix_space = false, individual = false, isolated = true, invert = false;
};

void flatten(const json& j, std::vector<Step>& out) {
  if (!j.is_object()) return;
  const std::string type = j.value("type", "");
  if (type == "Sequence") {
    for (const auto& s : j.value("pretokenizers", json::array())) flatten(s, out);
    return;
  }
  Step s;
  s.type = type;
  if (type == "ByteLevel") {
    s.use_regex = j.value("use_regex", true);
    s.prefix_space = j.value("add_prefix_space", true);
  } else if (type == "Split") {
    const json& p = j.value("pattern", json::object());
    s.regex = p.value("Regex", p.value("String", ""));
    s.isolated = j.value("behavior", "") == "Isolated";
    s.invert = j.value("invert", false);
  } else if (type == "Digits") {
    s.individual = j.value("individual_digits", false);
  }
  out.push_back(std::move(s));
}

std::string describe(const std::vector<Step>& steps) {
  std::string d;
  for (const auto& s : steps) {
    if (!d.empty()) d += " + ";
    d += s.type;
    if (s.type == "ByteLevel") d += s.use_regex ? "(regex)" : "";
    if (s.type == "Split") d += fmt::format("({}{})", s.regex.substr(0, 40), s.regex.size() > 40 ? "..." : "");
    if (s.type == "Digits") d += s.individual ? "(individual)" : "";
  }
  return d.empty() ? "none" : d;
}

// llama.cpp knows each pre-tokenizer by name and runs its own copy of the regexes; these are the
// names whose regexes equal a HuggingFace pre-tokenizer hermes can write or load.
std::string gguf_pre_name(const std::vector<Step>& s) {
  auto byte_level = [](const Step& x, bool regex) {
    return x.type == "ByteLevel" && x.use_regex == regex && !x.prefix_space;
  };
  auto split = [](const Step& x, std::string_view pattern) {
    return x.type == "Split" && x.isolated && !x.invert && x.regex == pattern;
  };
  if (s.size() == 1 && byte_level(s[0], true)) return "gpt-2";
  if (s.size() != 2) return "";
  if (split(s[0], tokenizer::kGpt2Pattern) && byte_level(s[1], false)) return "gpt-2";
  if (split(s[0], tokenizer::kLlama3Pattern) && byte_level(s[1], false)) return "llama-bpe";
  if (split(s[0], tokenizer::kQwen2Pattern) && byte_level(s[1], false)) return "qwen2";
  if (s[0].type == "Digits" && s[0].individual && byte_level(s[1], true)) return "smollm";
  return "";
}

bool has_nfc(const json& n) {
  if (!n.is_object()) return false;
  if (n.value("type", "") == "NFC") return true;
  for (const auto& x : n.value("normalizers", json::array()))
    if (has_nfc(x)) return true;
  return false;
}

}  // namespace

VocabInfo vocab_info(const std::string& tokenizer_json, std::int64_t vocab, const std::string& source) {
  json j;
  try {
    j = json::parse(tokenizer_json);
  } catch (const json::exception& e) {
    fail("{}: the stored tokenizer.json is not valid JSON ({})", source, e.what());
  }
  VocabInfo v;
  v.tokens.resize(static_cast<std::size_t>(vocab));
  v.gguf_types.assign(static_cast<std::size_t>(vocab), 5);
  const json& model = j.at("model");
  for (auto it = model.at("vocab").begin(); it != model.at("vocab").end(); ++it) {
    const auto id = it.value().get<std::int64_t>();
    if (id < 0 || id >= vocab)
      fail("{}: tokenizer token '{}' has id {} outside the model's vocabulary of {}", source, it.key(), id, vocab);
    v.tokens[id] = it.key();
    v.gguf_types[id] = 1;
  }
  for (const auto& a : j.value("added_tokens", json::array())) {
    const auto id = a.at("id").get<std::int64_t>();
    if (id < 0 || id >= vocab)
      fail("{}: added token {} has id {} outside the model's vocabulary of {}", source, a.at("content").dump(), id,
           vocab);
    v.tokens[id] = a.at("content").get<std::string>();
    v.gguf_types[id] = a.value("special", false) ? 3 : 4;
  }
  for (std::int64_t id = 0; id < vocab; ++id)
    if (v.gguf_types[id] == 5) v.tokens[id] = fmt::format("[PAD{}]", id);
  for (const auto& m : model.value("merges", json::array())) {
    if (m.is_string())
      v.merges.push_back(m.get<std::string>());
    else
      v.merges.push_back(m.at(0).get<std::string>() + " " + m.at(1).get<std::string>());
  }
  auto find = [&](std::string_view t) -> std::int64_t {
    for (std::int64_t id = 0; id < vocab; ++id)
      if (v.gguf_types[id] != 5 && v.tokens[id] == t) return id;
    return -1;
  };
  // hermes's names, or the tokenizer's own tokens that play them (the loader picks those).
  std::vector<std::string> added;
  for (const auto& a : j.value("added_tokens", json::array())) added.push_back(a.at("content").get<std::string>());
  v.role_aliases = tokenizer::pick_role_aliases(added);
  auto role = [&](std::string_view name) {
    for (const auto& [hermes_name, own] : v.role_aliases)
      if (hermes_name == name) return find(own);
    return find(name);
  };
  v.end_id = role("<|endoftext|>");
  v.pad_id = find("<|pad|>");
  if (v.pad_id < 0) v.pad_id = v.end_id;
  v.hermes_chat_roles =
      role("<|system|>") >= 0 && role("<|user|>") >= 0 && role("<|assistant|>") >= 0 && role("<|tool|>") >= 0;
  std::vector<Step> steps;
  flatten(j.value("pre_tokenizer", json()), steps);
  v.gguf_pre = gguf_pre_name(steps);
  v.pre_description = describe(steps);
  v.nfc = has_nfc(j.value("normalizer", json()));
  return v;
}

}  // namespace hermes::interop
