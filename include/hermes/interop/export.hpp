#pragma once
// `hermes export` and the deck's export stage: a checkpoint written out as a HuggingFace Llama
// directory (safetensors + config + tokenizer files) or as one GGUF file for llama.cpp. See
// docs/interop.md for the layouts and why each tensor is where it is.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace hermes::interop {

struct ExportRequest {
  std::filesystem::path checkpoint;
  std::string format;            // "hf" or "gguf"
  std::string dtype;             // hf: fp32 | bf16; gguf: f32 | f16 | bf16 | q8_0; empty: the checkpoint's precision
  std::filesystem::path output;  // hf: a directory; gguf: the .gguf file
};

struct ExportSummary {
  std::vector<std::filesystem::path> files;
  std::uint64_t bytes = 0;
  std::string dtype;
  double seconds = 0;
};

// Validates the request (format, dtype, exportable model) before writing anything; every file is
// written to a temporary name and renamed, so a failure leaves no half-written model.
ExportSummary export_model(const ExportRequest& request);

ExportSummary export_hf(const ExportRequest& request);
ExportSummary export_gguf(const ExportRequest& request);

// "fp32" or "bf16": what the checkpoint's run trained in (train.precision in its stored deck).
std::string checkpoint_precision(const std::string& deck_toml);

}  // namespace hermes::interop
