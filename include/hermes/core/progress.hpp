#pragma once
// Progress of long work in the log: "tool-call evaluation: 120/253 turns (47%) | 3.9 turns/s |
// ETA 34s". A line at most every `interval` seconds (and one at the end), so a log file is not
// flooded; the rate comes from the lines of the last minute, so the ETA follows a machine whose
// speed changes. Only rank 0 logs; each rank counts its own share, and the shares are balanced,
// so rank 0's ETA is the job's.
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>

namespace hermes {

class Progress {
 public:
  using clock = std::chrono::steady_clock;
  // `start`: units already done before this process began (a resumed batch).
  Progress(std::string what, std::string unit, std::int64_t total, std::int64_t start = 0, double interval_s = 15.0);
  void advance(std::int64_t n = 1) { set(done_ + n); }
  void set(std::int64_t done);

  // The line for `done` at time `now`; records it as a sample of the rate (exposed for tests).
  std::string line(std::int64_t done, clock::time_point now);

 private:
  std::string what_, unit_;
  std::int64_t total_, done_ = 0;
  double interval_s_;
  clock::time_point last_print_;
  bool printed_end_ = false;
  std::deque<std::pair<clock::time_point, std::int64_t>> window_;
};

}  // namespace hermes
