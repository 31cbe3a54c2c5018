#pragma once
// A tiny model and deck for trainer tests, fed by SyntheticSource.
#include <filesystem>
#include <memory>

#include "hermes/deck/parser.hpp"
#include "hermes/train/trainer.hpp"

namespace hermes::testing {

// The deck `toml` with its outputs (run directory, checkpoints) under `dir`, then `overrides`.
inline deck::Deck deck_in(const std::string& toml, const std::string& dir, const std::vector<std::string>& overrides) {
  std::vector<std::string> o = {"checkpoint.dir=\"" + dir + "/ckpt\"", "run.output_dir=\"" + dir + "\""};
  o.insert(o.end(), overrides.begin(), overrides.end());
  return deck::parse_deck(toml, "test deck", o);
}

inline deck::Deck train_deck(const std::string& dir, const std::vector<std::string>& overrides = {}) {
  return deck_in(R"([run]
name = "t"
stages = ["pretrain"]
seed = 11
[model]
preset = "nano"
vocab_size = 256
n_layer = 2
n_embd = 32
n_head = 4
n_kv_head = 2
ffn_hidden = 64
context_length = 16
[train]
batch_size = 4
seq_len = 16
max_steps = 6
log_interval = 100
[optim]
lr = 3e-3
warmup_steps = 2
[eval]
interval = 0
batches = 2
test_at_end = false
[checkpoint]
interval = 0
save_final = false
save_best = false
)",
                 dir, overrides);
}

inline std::unique_ptr<train::Trainer> make_trainer(const deck::Deck& d, const dist::Communicator& comm,
                                                    const std::filesystem::path& run_dir) {
  const auto m = deck::resolve_model(d.model);
  const std::int64_t seq = d.train.seq_len;
  auto src = std::make_unique<train::SyntheticSource>(m.vocab_size, d.train.batch_size, seq, comm.rank(), comm.size(),
                                                      static_cast<std::uint64_t>(d.run.seed));
  train::TrainerInputs in{d,
                          comm,
                          run_dir,
                          m,
                          std::move(src),
                          [m, seq, b = d.train.batch_size, rank = comm.rank(),
                           world = comm.size()](const std::string& split) -> std::unique_ptr<train::BatchSource> {
                            return std::make_unique<train::SyntheticSource>(m.vocab_size, b, seq, rank, world,
                                                                            split == "val" ? 999u : 1234u);
                          },
                          "{\"model\": \"test tokenizer\"}",
                          "00000000000000aa"};
  return std::make_unique<train::Trainer>(std::move(in));
}

// The trainer's parameters in layout order, one flat copy (pulled from the device on CUDA).
inline std::vector<float> flat_parameters(train::Trainer& t) {
  t.engine().pull_weights();
  std::vector<float> out;
  for (const auto& w : t.engine().weights()) {
    std::int64_t n = 1;
    for (auto e : w.shape) n *= e;
    out.insert(out.end(), w.data, w.data + n);
  }
  return out;
}

inline std::filesystem::path scratch_dir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() / ("hermes_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

}  // namespace hermes::testing
