#pragma once
// The text `hermes info` prints: the preset table and one model's detailed budget.
#include <cstdint>
#include <string>

#include "hermes/model/config.hpp"

namespace hermes::model {

// One row per preset: shape, exact parameter count, FLOPs per token, training memory.
// `vocab_size` 0 uses each preset's reference vocabulary; `seq_len` 0 its context length.
std::string presets_table(std::int64_t vocab_size, std::int64_t batch, std::int64_t seq_len, Precision precision);

// Shape, per-tensor-group parameter counts, FLOPs per token and the memory estimate.
std::string model_report(const ModelConfig& config, std::int64_t batch, std::int64_t seq_len, Precision precision,
                         bool muon);

}  // namespace hermes::model
