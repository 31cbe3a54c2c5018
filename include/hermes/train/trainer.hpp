#pragma once
// The pretraining loop, backend-free: micro-batches with gradient accumulation, the step's
// reduction over ranks, clipping, the schedule, periodic evaluation, metrics, checkpoints,
// resume, divergence and signal stops. The model, its gradients, their cross-rank reduction and
// the optimizer live in an Engine (engine.hpp): host or CUDA, from parallel.backend. The pretrain stage builds one from
// the deck and a loader; tests build one from a deck string and SyntheticSource.
#include <csignal>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "hermes/deck/deck.hpp"
#include "hermes/dist/communicator.hpp"
#include "hermes/io/checkpoint.hpp"
#include "hermes/model/config.hpp"
#include "hermes/train/engine.hpp"
#include "hermes/train/records.hpp"
#include "hermes/train/source.hpp"

namespace hermes::train {

// Exit codes of a collective stop (hermes::CollectiveExit).
// A stop by SIGTERM/SIGUSR1 exits with kExitStopped (core/stop_signal.hpp).
inline constexpr int kExitDiverged = 4;  // NaN/Inf loss or gradient

struct Summary {
  std::int64_t steps = 0;
  std::optional<EvalResult> val, test;
  std::filesystem::path final_checkpoint;
};

using SourceFactory = std::function<std::unique_ptr<BatchSource>(const std::string& split)>;

struct TrainerInputs {
  const deck::Deck& deck;
  const dist::Communicator& comm;
  std::filesystem::path run_dir;
  model::ModelConfig model;
  std::unique_ptr<BatchSource> train;
  SourceFactory eval_sources;  // "val", "test"; may return nullptr when a split is empty. Each is
                               // opened once, when the Trainer is built, and read from its start
                               // at every evaluation.
  std::string tokenizer_json;  // stored in checkpoints ("" when there is none)
  std::string tokenizer_fingerprint;
};

class Trainer {
 public:
  explicit Trainer(TrainerInputs inputs);
  ~Trainer();

  Summary run();
  EvalResult evaluate(BatchSource& source, std::int64_t batches);

  std::int64_t total_steps() const { return total_steps_; }
  std::int64_t step() const { return step_; }
  const std::vector<StepRecord>& history() const { return history_; }
  Engine& engine() { return *engine_; }
  const model::ModelConfig& config() const { return config_; }
  std::int64_t num_params() const { return engine_->num_params(); }
  // Called after every optimizer step (tests raise signals or inspect state from it).
  std::function<void(const StepRecord&)> on_step;
  // Checksum of the parameters, identical on every rank (verified at each evaluation).
  std::uint64_t parameter_checksum();
  std::filesystem::path checkpoint_dir() const { return ckpt_dir_; }
  std::size_t allocated_bytes() const;
  // One rank's peak FLOP/s, MFU's denominator: the measured SGEMM rate on the host, the
  // device's bf16 dense peak on a GPU.
  double peak_flops() const { return engine_->peak_flops(); }

 private:
  StepRecord train_step();
  void save(const std::filesystem::path& path);
  void save_periodic();
  // run.resume: the checkpoint `latest` names, or when that is missing, empty or unreadable, the
  // newest readable one (with a warning naming both).
  bool resume();
  // train.init_from: the weights of another checkpoint (same shape and tokenizer), nothing else.
  void init_from(const std::filesystem::path& path);
  void verify_replicas();
  io::CheckpointData checkpoint_data();

  deck::Deck deck_;  // a copy: the trainer may outlive the caller's deck
  const dist::Communicator& comm_;
  std::filesystem::path run_dir_, ckpt_dir_;
  model::ModelConfig config_;
  std::unique_ptr<BatchSource> train_;
  // An evaluation split, opened once; every evaluation restores `start` and reads the same batches.
  struct EvalSplit {
    std::unique_ptr<BatchSource> source;  // null: the split is absent or too small for one batch
    data::LoaderCursor start;
  };
  std::optional<EvalResult> evaluate_split(EvalSplit& split);
  void save_if_best(const EvalResult& val);
  EvalSplit val_, test_;
  std::string tokenizer_json_, tokenizer_fp_;
  std::int64_t batch_, seq_len_, accum_, total_steps_ = 0, step_ = 0, tokens_seen_ = 0;
  double best_val_ = 0;
  std::filesystem::path started_from_;  // the checkpoint run.resume loaded (empty: none)
  std::unique_ptr<Engine> engine_;
  data::Batch batch_buf_;
  std::mt19937_64 rng_;
  std::vector<StepRecord> history_;
};

// Loss, token accuracy and perplexity of `engine`'s model over `batches` micro-batches of
// `source` (at most one epoch of it), summed over every rank of `comm` (forward only).
EvalResult evaluate(Engine& engine, BatchSource& source, std::int64_t batches, const dist::Communicator& comm);

// The warning printed before training when the deck's micro-batch does not fit: empty when
// model::training_memory for (batch, seq_len) is within `available_bytes` per rank.
std::string memory_warning(const model::ModelConfig& config, std::int64_t batch, std::int64_t seq_len, bool muon,
                           double available_bytes, int local_ranks);

// The time left in a run, for the progress line's ETA. Training steps are timed over the most
// recent `window` of them, so a run whose speed changes (a machine that becomes loaded, the
// first steps' start-up) is projected at its current speed, not its average since the start;
// the time spent between steps (evaluations, checkpoints) is added at its average per step.
class RemainingTime {
 public:
  explicit RemainingTime(std::size_t window = 50) : window_(window) {}
  // One training step took `step_seconds`; `elapsed_seconds` have passed since the first.
  void step(double step_seconds, double elapsed_seconds);
  // Seconds for `steps_left` more steps; negative until a step was timed.
  double seconds(std::int64_t steps_left) const;

 private:
  std::size_t window_;
  std::vector<double> recent_;  // ring of the last window_ step times
  std::size_t next_ = 0;
  std::int64_t steps_ = 0;
  double all_steps_ = 0, elapsed_ = 0;
};

// Measured single-rank SGEMM rate (FLOP/s) on a 512^3 problem: MFU's denominator on the host.
double measure_sgemm_flops();

}  // namespace hermes::train
