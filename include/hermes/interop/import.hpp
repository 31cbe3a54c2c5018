#pragma once
// `hermes import`: a HuggingFace LlamaForCausalLM directory (config.json, model.safetensors or a
// sharded index, tokenizer.json) turned into a hermes checkpoint (weights, fresh optimizer
// state, step 0), the tokenizer and a deck fragment for its shape, so that pretrain continues
// from it (train.init_from) and generate/chat run it.
#include <filesystem>
#include <string>

#include "hermes/model/config.hpp"

namespace hermes::interop {

struct ImportSummary {
  model::ModelConfig config;
  std::filesystem::path checkpoint, tokenizer, deck;
  std::string source_dtype;
};

// Writes <output>/checkpoint.h5, <output>/tokenizer.json and <output>/model.toml. Every refusal
// (unknown architecture, missing or misshapen tensor, damaged file) is one line naming the file
// and the tensor or key.
ImportSummary import_hf(const std::filesystem::path& from, const std::filesystem::path& output);

// The ModelConfig a config.json describes; refuses what hermes cannot compute exactly.
model::ModelConfig config_from_hf(const std::filesystem::path& config_json);

}  // namespace hermes::interop
