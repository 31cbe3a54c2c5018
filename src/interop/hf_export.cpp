// HuggingFace export: a directory transformers loads as LlamaForCausalLM. hermes's RoPE rotates
// (i, i + D/2) like HuggingFace's rotate_half, so q_proj and k_proj are plain row slices of the
// packed qkv projection; no permutation (GGUF needs one: gguf_export.cpp).
#include <fstream>

#include <nlohmann/json.hpp>

#include "hermes/core/durable.hpp"
#include "hermes/core/error.hpp"
#include "hermes/interop/export.hpp"
#include "hermes/interop/layout.hpp"
#include "hermes/interop/safetensors.hpp"
#include "hermes/tokenizer/chat_template.hpp"

namespace hermes::interop {
namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace {

ojson config_json(const model::ModelConfig& c, const VocabInfo& v, const std::string& dtype) {
  ojson j;
  j["architectures"] = {"LlamaForCausalLM"};
  j["model_type"] = "llama";
  j["vocab_size"] = c.vocab_size;
  j["hidden_size"] = c.n_embd;
  j["intermediate_size"] = c.ffn_hidden;
  j["num_hidden_layers"] = c.n_layer;
  j["num_attention_heads"] = c.n_head;
  j["num_key_value_heads"] = c.n_kv_head;
  j["head_dim"] = c.head_dim();
  j["hidden_act"] = "silu";
  j["max_position_embeddings"] = c.context_length;
  j["rms_norm_eps"] = c.norm_eps;
  j["rope_theta"] = c.rope_theta;
  j["rope_scaling"] = nullptr;
  j["tie_word_embeddings"] = true;
  j["attention_bias"] = c.bias;
  j["attention_dropout"] = 0.0;
  j["mlp_bias"] = c.bias;
  j["initializer_range"] = c.init_std;
  j["pretraining_tp"] = 1;
  j["use_cache"] = true;
  // hermes adds no BOS; <|endoftext|> ends documents and turns (GPT-2's convention).
  j["bos_token_id"] = v.end_id;
  j["eos_token_id"] = v.end_id;
  j["pad_token_id"] = v.pad_id;
  j["torch_dtype"] = dtype == "bf16" ? "bfloat16" : dtype == "f16" ? "float16" : "float32";
  return j;
}

ojson tokenizer_config_json(const std::string& tokenizer_json, const model::ModelConfig& c, const VocabInfo& v) {
  const auto tok = nlohmann::json::parse(tokenizer_json);
  ojson j;
  j["add_bos_token"] = false;
  j["add_eos_token"] = false;
  ojson decoder = ojson::object();
  for (const auto& a : tok.value("added_tokens", nlohmann::json::array())) {
    decoder[std::to_string(a.at("id").get<std::int64_t>())] = {{"content", a.at("content")},
                                                               {"lstrip", a.value("lstrip", false)},
                                                               {"normalized", a.value("normalized", false)},
                                                               {"rstrip", a.value("rstrip", false)},
                                                               {"single_word", a.value("single_word", false)},
                                                               {"special", a.value("special", false)}};
  }
  j["added_tokens_decoder"] = decoder;
  const std::string end = v.tokens[v.end_id];
  j["bos_token"] = end;
  j["eos_token"] = end;
  j["pad_token"] = v.tokens[v.pad_id];
  j["unk_token"] = nullptr;
  if (v.hermes_chat_roles) j["chat_template"] = tokenizer::jinja_chat_template(v.role_aliases);
  j["clean_up_tokenization_spaces"] = false;
  j["model_max_length"] = c.context_length;
  j["tokenizer_class"] = "PreTrainedTokenizerFast";
  return j;
}

}  // namespace

ExportSummary export_hf(const ExportRequest& r) {
  const std::string dtype = r.dtype;  // f32, f16 or bf16 (export_model checked it)
  const auto w = read_checkpoint_weights(r.checkpoint);
  const auto& c = w.header.model;
  const VocabInfo v = vocab_info(w.header.tokenizer_json, c.vocab_size, r.checkpoint.string());
  require_end_of_text(v, r.checkpoint.string());
  fs::create_directories(r.output);
  const StDType st = dtype == "bf16" ? StDType::bf16 : dtype == "f16" ? StDType::f16 : StDType::f32;
  std::vector<StTensor> tensors;
  for (const auto& p : tensor_pieces(c)) {
    const auto& src = w.tensors.at(p.hermes);
    const std::int64_t cols = p.shape.size() == 2 ? p.shape[1] : 1;
    const auto data = slice_rows(src, p.row0, p.shape[0], cols);
    tensors.push_back(make_tensor(p.hf, st, p.shape, data.data()));
  }
  ExportSummary s;
  s.dtype = dtype;
  const fs::path st_path = r.output / "model.safetensors";
  write_safetensors(st_path, tensors);
  s.files.push_back(st_path);
  auto text = [&](const std::string& name, const std::string& body) {
    write_file_durably(r.output / name, body);
    s.files.push_back(r.output / name);
  };
  text("config.json", config_json(c, v, dtype).dump(2) + "\n");
  ojson gen;
  gen["bos_token_id"] = v.end_id;
  gen["eos_token_id"] = v.end_id;
  gen["pad_token_id"] = v.pad_id;
  text("generation_config.json", gen.dump(2) + "\n");
  text("tokenizer.json", w.header.tokenizer_json);
  text("tokenizer_config.json", tokenizer_config_json(w.header.tokenizer_json, c, v).dump(2) + "\n");
  ojson special;
  special["bos_token"] = v.tokens[v.end_id];
  special["eos_token"] = v.tokens[v.end_id];
  special["pad_token"] = v.tokens[v.pad_id];
  text("special_tokens_map.json", special.dump(2) + "\n");
  for (const auto& f : s.files) s.bytes += fs::file_size(f);
  return s;
}

}  // namespace hermes::interop
