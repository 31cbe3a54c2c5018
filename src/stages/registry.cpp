#include <algorithm>

#include <fmt/ranges.h>

#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"
#include "hermes/core/strings.hpp"
#include "hermes/stages/stage.hpp"

namespace hermes::stages {

const std::vector<StageInfo>& registry() {
  // Order matches deck::kStageNames.
  static const std::vector<StageInfo> stages = {
      {"synth", "write the synthetic agentic tool-use corpus (ShareGPT JSONL)", run_synth},
      {"tokenizer", "train a byte-level BPE tokenizer and write tokenizer.json", run_tokenizer},
      {"prepare", "tokenize corpora into sharded HDF5 train/val/test splits", run_prepare},
      {"pretrain", "train the model with data parallelism over ranks", run_pretrain},
      {"evaluate", "loss, accuracy, perplexity on val/test; tool-calling evaluation", run_evaluate},
      {"generate", "batch generation from a prompts file, spread over ranks", run_generate},
      {"export", "write the model for llama.cpp (GGUF) or transformers (safetensors)", run_export},
      {"info", "print the model's shape, parameter count, FLOPs and memory estimate", run_info},
  };
  return stages;
}

void run_stage(const std::string& name, StageContext& context) {
  const auto& stages = registry();
  const auto it = std::find_if(stages.begin(), stages.end(), [&](const auto& s) { return s.name == name; });
  if (it == stages.end()) fail("unknown stage '{}'; the stages are {}", name, fmt::join(deck::kStageNames, ", "));
  it->run(context);
}

}  // namespace hermes::stages
