#pragma once
// What the training loop needs from a backend, and nothing more. The trainer (trainer.hpp) owns
// the schedule, logging, evaluation cadence, checkpoint files, signals and divergence; an engine
// owns the model, its gradients, the data-parallel reduction and the optimizer state:
//   host (Kokkos + BLAS, fp32, MPI all-reduce) in src/train/host_engine.cpp;
//   cuda (bf16 weights and activations, fp32 master weights and state, NCCL, CUDA graphs) in
//   src/train/cuda_engine.cpp, compiled in CUDA builds only.
// One step is: begin_step(); micro_batch() x grad_accum (the last one starts the cross-rank
// gradient reduction while backward runs); finish_gradients() -> this rank's loss sums;
// (the trainer sums them over ranks) normalise(1 / tokens) -> global gradient norm;
// update(clip factor, step, lr factor).
// Both engines hold gradients of the *summed* token losses until normalise(), so micro-batches
// and ranks add up without rescaling, and both keep parameters and optimizer state in
// model::parameter_layout order under the same checkpoint names: a checkpoint written by one
// engine resumes on the other.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hermes/backend/select.hpp"
#include "hermes/data/loader.hpp"
#include "hermes/deck/deck.hpp"
#include "hermes/dist/communicator.hpp"
#include "hermes/io/checkpoint.hpp"
#include "hermes/model/config.hpp"

namespace hermes::train {

struct LossSums {
  double loss_sum = 0, correct = 0, count = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string describe() const = 0;     // one line for the log: backend, device, precision
  virtual std::int64_t num_params() const = 0;  // model::parameter_count, no padding
  // GPT-2 initialisation from the seed (model::init_parameters): identical on every engine.
  virtual void init(std::uint64_t seed) = 0;

  virtual void begin_step() = 0;
  virtual void micro_batch(const data::Batch& batch, bool last) = 0;
  virtual LossSums finish_gradients() = 0;
  // Multiplies the gradients by inv_tokens; returns the global L2 norm of the result.
  virtual double normalise(float inv_tokens) = 0;
  // Gradients *= clip, then one optimizer step (`step` 1-based, `lr_factor` from the schedule).
  virtual void update(float clip, std::int64_t step, double lr_factor) = 0;

  // Forward only; this rank's sums.
  virtual LossSums evaluate(const data::Batch& batch) = 0;

  // Host fp32 views of the parameters and optimizer state, in layout order with the checkpoint
  // names of io::CheckpointData (weights: the parameter name; optim: "<param>/<state>").
  // pull() refreshes both from the device before they are read, pull_weights() only the
  // parameters (a checksum needs no optimizer state); push() copies them back after a checkpoint
  // was loaded into them. All are no-ops on the host engine, which trains in place. Collective
  // under ZeRO-1 (every rank calls them).
  virtual std::vector<io::TensorRef> weights() = 0;
  virtual std::vector<io::TensorRef> optimizer_state() = 0;
  virtual void pull_weights() = 0;
  virtual void pull() = 0;
  virtual void push() = 0;

  // Bytes the engine allocated (arenas, state, activations, workspaces) on the device it trains on.
  virtual std::size_t allocated_bytes() const = 0;
  // Peak dense FLOP/s of this rank's device at the training precision (the MFU denominator);
  // 0 when unknown.
  virtual double peak_flops() const = 0;
};

// The engine of a resolved backend (backend::resolve(parallel.backend)), or a one-line
// hermes::Error naming the key when the build lacks it.
std::unique_ptr<Engine> make_engine(backend::Kind kind, const deck::Deck& deck, const dist::Communicator& comm,
                                    const model::ModelConfig& config, std::int64_t batch, std::int64_t seq_len);

std::unique_ptr<Engine> make_host_engine(const deck::Deck& deck, const dist::Communicator& comm,
                                         const model::ModelConfig& config, std::int64_t batch, std::int64_t seq_len);
#if defined(HERMES_HAVE_CUDA)
std::unique_ptr<Engine> make_cuda_engine(const deck::Deck& deck, const dist::Communicator& comm,
                                         const model::ModelConfig& config, std::int64_t batch, std::int64_t seq_len);
#endif

// FNV-1a 64 over the parameters' fp32 bytes in layout order: equal on every replica, and equal
// across engines for the same weights.
std::uint64_t checksum(const std::vector<io::TensorRef>& tensors);

}  // namespace hermes::train
