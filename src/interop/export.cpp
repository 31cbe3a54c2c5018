#include "hermes/interop/export.hpp"

#include <chrono>

#include <toml++/toml.h>

#include "hermes/core/error.hpp"
#include "hermes/interop/layout.hpp"

namespace hermes::interop {
namespace fs = std::filesystem;

std::string checkpoint_precision(const std::string& deck_toml) {
  try {
    const auto t = toml::parse(deck_toml);
    const std::string p = t["train"]["precision"].value_or(std::string("auto"));
    const std::string backend = t["parallel"]["backend"].value_or(std::string("host"));
    // "auto" trains in bf16 on the CUDA backend and in fp32 on the host.
    return p == "bf16" || (p == "auto" && backend == "cuda") ? "bf16" : "fp32";
  } catch (const toml::parse_error&) {
    return "fp32";
  }
}

namespace {

// One spelling per type: f32, f16, bf16, q8_0 (fp32/fp16 accepted as HuggingFace users write them).
std::string canonical_dtype(const std::string& d) {
  if (d == "fp32" || d == "float32") return "f32";
  if (d == "fp16" || d == "float16") return "f16";
  if (d == "bfloat16") return "bf16";
  return d;
}

}  // namespace

ExportSummary export_model(const ExportRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  ExportRequest r = request;
  if (r.format != "hf" && r.format != "gguf")
    fail("export format '{}' is unknown; use \"hf\" (HuggingFace safetensors directory) or \"gguf\" (llama.cpp)",
         r.format);
  if (r.output.empty()) fail("export: no output given; pass --output (a directory for hf, a .gguf file for gguf)");
  if (!fs::exists(r.checkpoint))
    fail("checkpoint {} does not exist; pass --checkpoint with a .h5 written by pretrain", r.checkpoint.string());
  const auto header = io::read_checkpoint_header(r.checkpoint);
  check_exportable(header.model, r.checkpoint.string());
  r.dtype = canonical_dtype(r.dtype.empty() ? checkpoint_precision(header.deck_toml) : r.dtype);
  const bool hf = r.format == "hf";
  const bool ok = hf ? (r.dtype == "f32" || r.dtype == "f16" || r.dtype == "bf16")
                     : (r.dtype == "f32" || r.dtype == "f16" || r.dtype == "bf16" || r.dtype == "q8_0");
  if (!ok)
    fail("export dtype '{}' is not available for format {}; use {}", request.dtype, r.format,
         hf ? "fp32, fp16 or bf16" : "f32, f16, bf16 or q8_0");
  if (hf && fs::exists(r.output) && !fs::is_directory(r.output))
    fail("{}: exists and is not a directory; the hf format writes a directory, pass another --output",
         r.output.string());
  if (!hf && fs::is_directory(r.output))
    fail("{}: is a directory; the gguf format writes one file, pass e.g. --output model.gguf", r.output.string());
  if (!hf && !r.output.parent_path().empty()) fs::create_directories(r.output.parent_path());
  ExportSummary s = hf ? export_hf(r) : export_gguf(r);
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace hermes::interop
