#pragma once
// Optimizers over the flat parameter/gradient arenas (fp32).
//  - AdamW: decoupled weight decay on tensors whose ParamSpec::decays is set (never norms,
//    embeddings or biases); bias-corrected moments m, v.
//  - Muon (name "muon"): on ParamSpec::is_hidden_matrix tensors, Nesterov momentum buffer
//    `momentum`, then the update is orthogonalised by ns_steps Newton-Schulz iterations with the
//    quintic coefficients (3.4445, -4.7750, 2.0315), scaled by sqrt(max(1, rows/cols)); AdamW on
//    every other tensor (embedding, norms, biases; the output head is the tied embedding).
// The learning-rate factor from the schedule multiplies both lr and muon_lr.
#include <Kokkos_Core.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "hermes/model/transformer.hpp"

namespace hermes::optim {

struct Settings {
  std::string name = "adamw";  // adamw | muon
  double lr = 3e-4, weight_decay = 0.1, beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
  double muon_lr = 0.02, muon_momentum = 0.95;
  std::int64_t ns_steps = 5;
};

// The learning-rate schedule: a linear warmup over `warmup` steps to 1, then
//  - cosine: half a cosine down to min_ratio at `total`;
//  - wsd (warmup, stable, decay): 1 until the last `decay_fraction` of the steps after warmup, then
//    a straight line down to min_ratio at `total` (modded-nanogpt's shape: most steps at full rate);
//  - constant: 1.
enum class Schedule { constant, cosine, wsd };
Schedule schedule_named(const std::string& name);  // "constant", "cosine" or "wsd"

struct LrSchedule {
  Schedule shape = Schedule::cosine;
  std::int64_t warmup = 0;
  double min_ratio = 0.1;
  double decay_fraction = 0.4;
  // The factor on lr and muon_lr at `step` (from 0) of `total`.
  double factor(std::int64_t step, std::int64_t total) const;
};

// sqrt(sum g^2), accumulated in double.
double global_norm(const float* grads, std::int64_t n);
void scale(float* values, std::int64_t n, float factor);
bool all_finite(const float* values, std::int64_t n);

class Optimizer {
 public:
  using Index = std::int64_t;
  Optimizer(const std::vector<model::ParamSlot>& slots, Index n_params, const Settings& settings);

  // One update; `step` is 1-based (AdamW bias correction).
  void update(float* params, const float* grads, std::int64_t step, double lr_factor);

  // The state tensors, for checkpoints: /optim/<param>/<name>.
  struct StateTensor {
    std::string param, name;
    float* data;
    Index numel;
  };
  std::vector<StateTensor> state();
  std::size_t state_bytes() const;
  const Settings& settings() const { return s_; }

 private:
  void muon_update(float* p, const float* g, float* mom, Index rows, Index cols, double lr, bool decay);
  Settings s_;
  struct Entry {
    const model::ParamSlot* slot;
    bool muon;
    Index m_off, v_off;  // v_off < 0 for Muon tensors
  };
  std::vector<model::ParamSlot> slots_;
  std::vector<Entry> entries_;
  backend::host::HostArray<float> m_;  // (num_params) first moment (Muon: momentum), entry by entry
  backend::host::HostArray<float> v_;  // (elements of the AdamW tensors) second moment
  // Newton-Schulz workspace for the largest hidden matrix (rows, cols), r = min(rows, cols).
  backend::host::HostArray<float> x_;   // (r, k) the iterate X, k = max(rows, cols)
  backend::host::HostArray<float> x2_;  // (rows * cols) the Nesterov step, then a copy of X
  backend::host::HostArray<float> a_;   // (r, r) A = X X^T
  backend::host::HostArray<float> b_;   // (r, r) b A + c A A
};

}  // namespace hermes::optim
