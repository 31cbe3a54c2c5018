#include "hermes/core/progress.hpp"

#include <fmt/format.h>

#include "hermes/core/log.hpp"
#include "hermes/core/strings.hpp"

namespace hermes {

namespace {
constexpr double kWindowSeconds = 60.0;
double seconds(Progress::clock::duration d) { return std::chrono::duration<double>(d).count(); }
}  // namespace

Progress::Progress(std::string what, std::string unit, std::int64_t total, std::int64_t start, double interval_s)
    : what_(std::move(what)),
      unit_(std::move(unit)),
      total_(total),
      done_(start),
      interval_s_(interval_s),
      last_print_(clock::now()) {
  window_.emplace_back(last_print_, start);
}

std::string Progress::line(std::int64_t done, clock::time_point now) {
  window_.emplace_back(now, done);
  while (window_.size() > 2 && seconds(now - window_[1].first) >= kWindowSeconds) window_.pop_front();
  const auto& [t0, d0] = window_.front();
  const double dt = seconds(now - t0);
  const double rate = dt > 0 ? static_cast<double>(done - d0) / dt : 0.0;
  const double pct = total_ > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100.0;
  std::string out = fmt::format("{}: {}/{} {} ({:.0f}%) | {} {}/s", what_, done, total_, unit_, pct,
                                rate >= 10 ? format_rate(rate) : fmt::format("{:.2f}", rate), unit_);
  if (done < total_) out += " | ETA " + format_duration(rate > 0 ? static_cast<double>(total_ - done) / rate : -1);
  return out;
}

void Progress::set(std::int64_t done) {
  // Called per document or per merge: between printed lines this is a clock read and nothing
  // else; the rate window holds only the printed samples (one per interval).
  done_ = done;
  const bool end = done_ >= total_;
  if (end && printed_end_) return;
  const auto now = clock::now();
  if (!end && seconds(now - last_print_) < interval_s_) return;
  last_print_ = now;
  printed_end_ = end;
  log::info("{}", line(done_, now));
}

}  // namespace hermes
