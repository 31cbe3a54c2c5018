#pragma once
// What one training step and one evaluation report: the trainer logs them, the metrics files
// keep them.
#include <cstdint>

namespace hermes::train {

struct EvalResult {
  double loss = 0, accuracy = 0, perplexity = 0;
  std::int64_t tokens = 0;
};

struct StepRecord {
  std::int64_t step = 0;  // 1-based, after the update
  double loss = 0, accuracy = 0, lr = 0, grad_norm = 0, tokens_per_s = 0;
};

}  // namespace hermes::train
