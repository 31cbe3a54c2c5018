// HuggingFace Llama import: config.json + safetensors + tokenizer.json -> a hermes checkpoint.
// Only what hermes computes exactly is accepted (silu SwiGLU, RMSNorm, RoPE without scaling,
// tied embeddings, all-or-no biases); every other tensor or setting is refused by name.
#include "hermes/interop/import.hpp"

#include <random>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "hermes/core/durable.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/files.hpp"
#include "hermes/deck/parser.hpp"
#include "hermes/interop/layout.hpp"
#include "hermes/interop/safetensors.hpp"
#include "hermes/io/checkpoint.hpp"
#include "hermes/tokenizer/tokenizer.hpp"

namespace hermes::interop {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// The SwiGLU preset imported shapes are described against (every field is then set explicitly).
constexpr const char* kBasePreset = "llama-small";

std::int64_t int_key(const json& j, const std::string& key, const std::string& file, std::int64_t fallback = -1) {
  if (!j.contains(key) || j[key].is_null()) {
    if (fallback >= 0) return fallback;
    fail("{}: \"{}\" is missing; this is not a complete Llama config.json", file, key);
  }
  if (!j[key].is_number_integer() || j[key].get<std::int64_t>() <= 0)
    fail("{}: \"{}\" = {} is not a positive integer", file, key, j[key].dump());
  return j[key].get<std::int64_t>();
}

double num_key(const json& j, const std::string& key, const std::string& file, double fallback) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_number() || !(j[key].get<double>() > 0))
    fail("{}: \"{}\" = {} is not a positive number", file, key, j[key].dump());
  return j[key].get<double>();
}

bool bool_key(const json& j, const std::string& key, const std::string& file, bool fallback) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_boolean()) fail("{}: \"{}\" = {} is not true or false", file, key, j[key].dump());
  return j[key].get<bool>();
}

// A TOML float, never an integer: "10000.0", not "10000".
std::string toml_float(double x) {
  std::string s = fmt::format("{}", x);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

model::ModelConfig config_from_hf_json(const fs::path& path);

model::ModelConfig config_from_hf(const fs::path& path) {
  try {
    return config_from_hf_json(path);
  } catch (const json::exception& e) {
    fail("{}: a key has the wrong type ({}); give a HuggingFace Llama config.json", path.string(), e.what());
  }
}

model::ModelConfig config_from_hf_json(const fs::path& path) {
  const std::string file = path.string();
  const std::string text =
      read_file(path, "HuggingFace config", "point --from at a HuggingFace model directory with config.json");
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    fail("{}: not valid JSON ({})", file, e.what());
  }
  if (!j.is_object()) fail("{}: not a JSON object", file);
  bool llama = j.value("model_type", "") == "llama";
  if (j.contains("architectures") && j["architectures"].is_array())
    for (const auto& a : j["architectures"]) llama = llama || a == "LlamaForCausalLM";
  if (!llama)
    fail(
        "{}: model_type {} / architectures {} is not a Llama model; hermes imports LlamaForCausalLM "
        "(SmolLM, TinyLlama, Llama layouts)",
        file, j.value("model_type", json()).dump(), j.value("architectures", json()).dump());
  if (j.value("hidden_act", std::string("silu")) != "silu")
    fail("{}: hidden_act = {} is not silu; hermes's SwiGLU computes silu only", file, j["hidden_act"].dump());
  if (j.contains("rope_scaling") && !j["rope_scaling"].is_null())
    fail("{}: rope_scaling = {} is set; hermes computes plain RoPE, so this model would run differently", file,
         j["rope_scaling"].dump());
  model::ModelConfig c = model::preset(kBasePreset);
  c.vocab_size = int_key(j, "vocab_size", file);
  c.n_embd = int_key(j, "hidden_size", file);
  c.ffn_hidden = int_key(j, "intermediate_size", file);
  c.n_layer = int_key(j, "num_hidden_layers", file);
  c.n_head = int_key(j, "num_attention_heads", file);
  c.n_kv_head = int_key(j, "num_key_value_heads", file, c.n_head);
  c.context_length = int_key(j, "max_position_embeddings", file, 2048);
  c.norm_eps = num_key(j, "rms_norm_eps", file, 1e-6);
  c.rope_theta = num_key(j, "rope_theta", file, 10000.0);
  c.init_std = num_key(j, "initializer_range", file, 0.02);
  c.ffn = model::Ffn::swiglu;
  if (c.n_embd % c.n_head != 0)
    fail("{}: hidden_size {} is not a multiple of num_attention_heads {}", file, c.n_embd, c.n_head);
  if (j.contains("head_dim") && !j["head_dim"].is_null() && int_key(j, "head_dim", file) != c.n_embd / c.n_head)
    fail(
        "{}: head_dim = {} differs from hidden_size / num_attention_heads = {}; hermes derives the head size "
        "from the width",
        file, j["head_dim"].dump(), c.n_embd / c.n_head);
  const bool attn_bias = bool_key(j, "attention_bias", file, false), mlp_bias = bool_key(j, "mlp_bias", file, false);
  if (attn_bias != mlp_bias)
    fail("{}: attention_bias = {} but mlp_bias = {}; hermes has biases on every linear layer or on none", file,
         attn_bias, mlp_bias);
  c.bias = attn_bias;
  // transformers' LlamaConfig unties by default.
  if (!bool_key(j, "tie_word_embeddings", file, false))
    fail(
        "{}: tie_word_embeddings is false; hermes ties the output projection to the embedding, so a separate "
        "lm_head cannot be imported",
        file);
  try {
    model::validate(c);
  } catch (const Error& e) {
    fail("{}: {}", file, e.what());
  }
  return c;
}

ImportSummary import_hf(const fs::path& from, const fs::path& output) {
  if (!fs::is_directory(from))
    fail("{}: not a directory; point --from at a HuggingFace model directory", from.string());
  ImportSummary s;
  s.config = config_from_hf(from / "config.json");
  const auto& c = s.config;
  const fs::path tok_path = from / "tokenizer.json";
  if (!fs::exists(tok_path))
    fail("{}: missing; hermes needs the model's tokenizer.json (HuggingFace fast tokenizer) to import it",
         tok_path.string());
  const auto tok = tokenizer::Tokenizer::load(tok_path);
  if (static_cast<std::int64_t>(tok.vocab_size()) > c.vocab_size)
    fail("{}: {} tokens, more than the model's vocab_size {} in {}", tok_path.string(), tok.vocab_size(), c.vocab_size,
         (from / "config.json").string());

  auto tensors = read_safetensors_dir(from);
  const std::string where = (from / (fs::exists(from / "model.safetensors.index.json") ? "model.safetensors.index.json"
                                                                                       : "model.safetensors"))
                                .string();
  std::map<std::string, std::vector<float>> weights;
  for (const auto& spec : model::parameter_layout(c))
    weights[spec.name].assign(static_cast<std::size_t>(spec.numel()), 0.0f);
  std::set<std::string> used;
  std::set<std::string> dtypes;
  for (const auto& p : tensor_pieces(c)) {
    auto it = tensors.find(p.hf);
    if (it == tensors.end())
      fail("{}: tensor '{}' is missing (config.json describes {} layers{}); the model is incomplete", where, p.hf,
           c.n_layer, c.bias ? " with biases" : "");
    const auto& t = it->second;
    if (t.shape != p.shape)
      fail("{}: tensor '{}' has shape {} but config.json implies {}; the files disagree", where, p.hf,
           json(t.shape).dump(), json(p.shape).dump());
    const auto v = t.to_float();
    auto& dst = weights.at(p.hermes);
    const std::int64_t cols = p.shape.size() == 2 ? p.shape[1] : 1;
    std::copy(v.begin(), v.end(), dst.begin() + p.row0 * cols);
    used.insert(p.hf);
    dtypes.insert(to_string(t.dtype));
  }
  for (const auto& [name, t] : tensors) {
    if (used.count(name)) continue;
    if (name == "lm_head.weight") {
      // Tied models sometimes store the head anyway: accept it only if it is the embedding.
      if (t.to_float() != weights.at("tok_emb.weight"))
        fail(
            "{}: lm_head.weight differs from model.embed_tokens.weight although tie_word_embeddings is true; "
            "the model is inconsistent",
            where);
      continue;
    }
    if (name.size() > 20 && name.rfind("rotary_emb.inv_freq") == name.size() - 19) continue;  // recomputed
    fail("{}: tensor '{}' is not part of a Llama model hermes computes; importing without it would change the model",
         where, name);
  }
  for (const auto& d : dtypes) s.source_dtype += (s.source_dtype.empty() ? "" : "+") + d;

  fs::create_directories(output);
  s.checkpoint = output / "checkpoint.h5";
  s.tokenizer = output / "tokenizer.json";
  s.deck = output / "model.toml";
  const std::string tok_text = read_file(tok_path, "tokenizer file", "give the model directory's tokenizer.json");
  write_file_durably(s.tokenizer, tok_text);
  const std::string name = from.filename().empty() ? from.parent_path().filename().string() : from.filename().string();
  std::ostringstream deck;
  deck << "# The shape of " << from.string() << ", imported by `hermes import`.\n"
       << "# Continue training it: set data.output_dir (or pass --data) to shards prepared with this tokenizer.\n"
       << "[run]\nname = " << deck::toml_string(name.empty() ? "imported" : name) << "\nstages = [\"pretrain\"]\n\n"
       << "[tokenizer]\npath = " << deck::toml_string(fs::absolute(s.tokenizer).string()) << "\n\n"
       << "[model]\npreset = \"" << kBasePreset << "\"\n"
       << "vocab_size = " << c.vocab_size << "\nn_layer = " << c.n_layer << "\nn_embd = " << c.n_embd
       << "\nn_head = " << c.n_head << "\nn_kv_head = " << c.n_kv_head << "\nffn_hidden = " << c.ffn_hidden
       << "\ncontext_length = " << c.context_length << "\nffn = \"swiglu\"\nbias = " << (c.bias ? "true" : "false")
       << "\nrope_theta = " << toml_float(c.rope_theta) << "\nnorm_eps = " << toml_float(c.norm_eps)
       << "\ninit_std = " << toml_float(c.init_std) << "\n\n"
       << "[train]\ninit_from = " << deck::toml_string(fs::absolute(s.checkpoint).string()) << "\n";

  io::CheckpointData d;
  d.model = c;
  d.optimizer = "adamw";
  d.deck_toml = deck.str();
  d.tokenizer_json = tok_text;
  d.tokenizer_fingerprint = tok.fingerprint();
  std::ostringstream rng;
  rng << std::mt19937_64(0);
  d.state.rng = rng.str();
  for (const auto& spec : model::parameter_layout(c))
    d.weights.push_back({spec.name, spec.shape, weights.at(spec.name).data()});
  io::save_checkpoint(s.checkpoint, d);
  write_file_durably(s.deck, deck.str());
  return s;
}

}  // namespace hermes::interop
