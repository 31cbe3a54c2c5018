#pragma once
// A stage is one step of a run (synth, tokenizer, prepare, pretrain, evaluate, generate, export,
// info).
// Decks list stages by name; subcommands run a single stage with a deck built from their flags.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "hermes/deck/deck.hpp"
#include "hermes/dist/communicator.hpp"

namespace hermes::stages {

struct StageContext {
  const deck::Deck& deck;
  const dist::Communicator& comm;
  std::filesystem::path run_dir;  // empty for subcommands that keep no run directory
};

struct StageInfo {
  std::string name;
  std::string summary;
  std::function<void(StageContext&)> run;
};

const std::vector<StageInfo>& registry();
// Runs one stage by name; an unknown name fails with the list of stages.
void run_stage(const std::string& name, StageContext& context);

// Stage entry points, one per file in src/stages/.
void run_info(StageContext& context);
void run_tokenizer(StageContext& context);
void run_synth(StageContext& context);
void run_prepare(StageContext& context);
void run_pretrain(StageContext& context);
void run_evaluate(StageContext& context);
void run_generate(StageContext& context);
void run_export(StageContext& context);

}  // namespace hermes::stages
