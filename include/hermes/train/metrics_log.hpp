#pragma once
// The run's metrics on disk, written by rank 0:
//   metrics.csv    one row per step (validation columns filled on evaluation steps): plots, pandas
//   metrics.jsonl  one JSON object per line with the wall-clock time: a row per step
//                  ({"kind": "train", ...}) and per evaluation ({"kind": "eval", "split": "val",
//                  ...}), the final validation and test included ("final": true), the form
//                  experiment trackers ingest.
// A resumed run keeps the rows up to the step it resumed from and drops the rest (the steps
// replay), so both files read as one uninterrupted run.
#include <filesystem>
#include <fstream>
#include <string>

#include "hermes/train/records.hpp"

namespace hermes::train {

class MetricsLog {
 public:
  // Closed: every call is a no-op (ranks other than 0, runs without a directory).
  MetricsLog() = default;
  // Opens both files in `run_dir`; when resuming from `step`, rows past it are dropped first.
  MetricsLog(const std::filesystem::path& run_dir, bool resuming, std::int64_t step);

  void step(const StepRecord& rec, const EvalResult* val);
  void final_eval(std::int64_t step, const char* split, const EvalResult& result);

 private:
  void eval_row(std::int64_t step, const char* split, const EvalResult& r, bool final);
  std::ofstream csv_, jsonl_;
};

}  // namespace hermes::train
