#include "hermes/train/metrics_log.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hermes/core/durable.hpp"

namespace hermes::train {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kCsvHeader =
    "step,loss,accuracy,perplexity,lr,grad_norm,tokens_per_s,val_loss,val_accuracy,val_perplexity";

// Seconds since the Unix epoch, to the millisecond: what trackers put on their time axis.
double wall_time() {
  using namespace std::chrono;
  return static_cast<double>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count()) / 1e3;
}

// Keeps the header and the whole rows up to `step` (a row cut short by a kill is dropped).
void keep_csv_rows_through(const fs::path& path, std::int64_t step) {
  const auto fields = std::count(kCsvHeader.begin(), kCsvHeader.end(), ',');
  std::ifstream in(path);
  std::string line, kept = std::string(kCsvHeader) + "\n";
  while (std::getline(in, line)) {
    std::int64_t row_step = 0;
    const char* end = line.data() + line.size();
    const auto [stop, ec] = std::from_chars(line.data(), end, row_step);
    const bool whole =
        ec == std::errc() && stop != end && *stop == ',' && std::count(line.begin(), line.end(), ',') == fields;
    if (whole && row_step <= step) kept += line + "\n";
  }
  write_file_durably(path, kept);
}

// Keeps the lines whose "step" is at most `step` (a cut line is dropped).
void keep_jsonl_rows_through(const fs::path& path, std::int64_t step) {
  std::ifstream in(path);
  std::string line, kept;
  while (std::getline(in, line)) {
    const auto row = nlohmann::json::parse(line, nullptr, false);
    if (row.is_discarded() || !row.is_object() || !row.contains("step") || !row["step"].is_number_integer()) continue;
    if (row["step"].get<std::int64_t>() <= step) kept += line + "\n";
  }
  write_file_durably(path, kept);
}

}  // namespace

MetricsLog::MetricsLog(const fs::path& run_dir, bool resuming, std::int64_t step) {
  const auto csv_path = run_dir / "metrics.csv";
  const auto jsonl_path = run_dir / "metrics.jsonl";
  const bool append_csv = resuming && fs::exists(csv_path);
  if (append_csv) keep_csv_rows_through(csv_path, step);
  csv_.open(csv_path, append_csv ? std::ios::app : std::ios::trunc);
  if (!append_csv) csv_ << kCsvHeader << "\n";
  const bool append_jsonl = resuming && fs::exists(jsonl_path);
  if (append_jsonl) keep_jsonl_rows_through(jsonl_path, step);
  jsonl_.open(jsonl_path, append_jsonl ? std::ios::app : std::ios::trunc);
}

void MetricsLog::step(const StepRecord& rec, const EvalResult* val) {
  if (!csv_.is_open()) return;
  csv_ << fmt::format("{},{:.6f},{:.6f},{:.4f},{:.6e},{:.6f},{:.1f}", rec.step, rec.loss, rec.accuracy,
                      std::exp(rec.loss), rec.lr, rec.grad_norm, rec.tokens_per_s);
  if (val)
    csv_ << fmt::format(",{:.6f},{:.6f},{:.4f}", val->loss, val->accuracy, val->perplexity);
  else
    csv_ << ",,,";
  csv_ << "\n";
  csv_.flush();
  const nlohmann::ordered_json row = {
      {"kind", "train"},  {"step", rec.step},           {"time", wall_time()},
      {"loss", rec.loss}, {"accuracy", rec.accuracy},   {"perplexity", std::exp(rec.loss)},
      {"lr", rec.lr},     {"grad_norm", rec.grad_norm}, {"tokens_per_s", rec.tokens_per_s}};
  jsonl_ << row.dump() << "\n";
  if (val) eval_row(rec.step, "val", *val, false);
  jsonl_.flush();
}

void MetricsLog::final_eval(std::int64_t step, const char* split, const EvalResult& result) {
  if (!jsonl_.is_open()) return;
  eval_row(step, split, result, true);
  jsonl_.flush();
}

void MetricsLog::eval_row(std::int64_t step, const char* split, const EvalResult& r, bool final) {
  nlohmann::ordered_json row = {{"kind", "eval"},
                                {"split", split},
                                {"step", step},
                                {"time", wall_time()},
                                {"loss", r.loss},
                                {"accuracy", r.accuracy},
                                {"perplexity", r.perplexity},
                                {"tokens", r.tokens}};
  if (final) row["final"] = true;
  jsonl_ << row.dump() << "\n";
}

}  // namespace hermes::train
