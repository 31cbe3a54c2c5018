#pragma once
// Opens the model that generate, evaluate's tool-call evaluation and chat run: the deck's
// tokenizer and checkpoint (generate.checkpoint, else the run's final or latest), refusing a
// missing file or a checkpoint trained with another tokenizer, each with one line saying why.
#include <filesystem>
#include <memory>

#include "hermes/deck/deck.hpp"
#include "hermes/generate/generator.hpp"
#include "hermes/io/checkpoint.hpp"

namespace hermes::generate {

struct LoadedModel {
  tokenizer::Tokenizer tok;
  std::filesystem::path checkpoint;
  io::CheckpointData header;
  std::unique_ptr<Generator> generator;
};

// max_batch: sequences the generator decodes together. The backend is backend::resolve of
// parallel.backend; on CUDA the node-local rank picks the GPU (local_rank % visible GPUs).
std::unique_ptr<LoadedModel> load_model(const deck::Deck& d, std::int64_t max_batch, int local_rank = 0);

}  // namespace hermes::generate
