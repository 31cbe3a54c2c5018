#pragma once
// HDF5 checkpoints. Schema (format "hermes-checkpoint", version 1):
//   /model/<param name>            float32, the tensor's shape (parameter_layout order and names)
//   /optim/<param name>/<state>    float32 (AdamW: m, v; Muon: momentum), flat
//   /state                         group; attributes step, tokens_seen, loader_epoch,
//                                  loader_position, loader_seed, best_val_loss, rng (text)
//   / attributes                   format, version, optimizer, model (JSON of ModelConfig),
//                                  deck (effective deck, TOML), tokenizer (tokenizer.json text),
//                                  tokenizer_fingerprint
// Written by one rank to <path>.tmp, flushed, closed, then renamed over <path>.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hermes/data/loader.hpp"
#include "hermes/deck/deck.hpp"
#include "hermes/model/config.hpp"

namespace hermes::io {

struct TrainState {
  std::int64_t step = 0;
  std::int64_t tokens_seen = 0;
  data::LoaderCursor cursor;
  double best_val_loss = 0;  // 0 with no evaluation yet is stored as +inf
  std::string rng;           // std::mt19937_64 state, text form
};

struct TensorRef {
  std::string name;
  std::vector<std::int64_t> shape;
  float* data;
};

struct CheckpointData {
  model::ModelConfig model;
  std::string optimizer;
  std::string deck_toml;
  std::string tokenizer_json;
  std::string tokenizer_fingerprint;
  TrainState state;
  std::vector<TensorRef> weights;  // /model
  std::vector<TensorRef> optim;    // /optim; name is "<param>/<state>"
};

std::string model_json(const model::ModelConfig& config);
// FNV-1a 64 of a text, as 16 hex digits (tokenizer fingerprint until the tokenizer provides one).
std::string fingerprint(const std::string& text);

void save_checkpoint(const std::filesystem::path& path, const CheckpointData& data);

// Reads the header (model, optimizer, tokenizer, deck, state) without tensors.
CheckpointData read_checkpoint_header(const std::filesystem::path& path);
// Throws (one line naming the field and both values) unless the checkpoint's model, tokenizer
// and (with `optim`) optimizer match `expect`.
void check_checkpoint(const std::filesystem::path& path, const CheckpointData& expect, bool optim);
// Fills the tensors named in `into` (weights and optim, data pointers set by the caller) after
// checking that the checkpoint's model and tokenizer match `into`'s; a mismatch throws one line
// naming the field and both values. Fills into.state.
void load_checkpoint(const std::filesystem::path& path, CheckpointData& into, bool load_optim = true);
// The step a checkpoint was written at, or `fallback` when its header cannot be read (quietly).
std::int64_t checkpoint_step_or(const std::filesystem::path& path, std::int64_t fallback);
// load_checkpoint for choosing among checkpoints: a damaged or unreadable file returns false with
// the reason in `why` (HDF5's error stack stays quiet); a checkpoint of another model or tokenizer
// still throws, since no other checkpoint of the run would do better. The tensors in `into` may be
// partly overwritten when it returns false.
bool try_load_checkpoint(const std::filesystem::path& path, CheckpointData& into, bool load_optim, std::string& why);

// The checkpoint generate, evaluate, export and chat use: generate.checkpoint, else the run's
// final.h5, else the one `latest` names.
std::filesystem::path checkpoint_to_use(const deck::Deck& d);

}  // namespace hermes::io
