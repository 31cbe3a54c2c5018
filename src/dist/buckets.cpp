#include "hermes/dist/buckets.hpp"

#include <algorithm>

#include "hermes/core/error.hpp"

namespace hermes::dist {

std::vector<Bucket> plan_buckets(const std::vector<std::int64_t>& begins, std::int64_t total, std::int64_t target) {
  HERMES_ASSERT(target > 0);
  HERMES_ASSERT(std::is_sorted(begins.begin(), begins.end()));
  HERMES_ASSERT(begins.empty() || (begins.front() == 0 && begins.back() <= total));
  std::vector<Bucket> out;
  std::int64_t end = total;
  for (std::size_t i = begins.size(); i-- > 0;) {
    const std::int64_t b = begins[i];
    if (end - b >= target || b == 0) {
      if (end > b) out.push_back({b, end});
      end = b;
    }
  }
  if (begins.empty() && total > 0) out.push_back({0, total});
  // A short remainder at the arena start joins its neighbour rather than costing a collective.
  if (out.size() >= 2 && out.back().size() < target) {
    out[out.size() - 2].begin = 0;
    out.pop_back();
  }
  return out;
}

std::vector<std::size_t> buckets_ready(const std::vector<Bucket>& plan, std::int64_t ready_from, std::size_t& next) {
  std::vector<std::size_t> out;
  while (next < plan.size() && plan[next].begin >= ready_from) out.push_back(next++);
  return out;
}

Shard shard_for(std::int64_t total, int world, int rank, std::int64_t align) {
  HERMES_ASSERT(world > 0 && rank >= 0 && rank < world && align > 0 && total >= 0);
  Shard s;
  const std::int64_t unit = static_cast<std::int64_t>(world) * align;
  s.padded_total = (total + unit - 1) / unit * unit;
  s.shard_size = s.padded_total / world;
  s.begin = s.shard_size * rank;
  s.end = s.begin + s.shard_size;
  s.owned_begin = std::min(s.begin, total);
  s.owned_end = std::min(s.end, total);
  return s;
}

std::vector<Piece> pieces_in(const std::vector<std::int64_t>& begins, const std::vector<std::int64_t>& sizes,
                             std::int64_t lo, std::int64_t hi) {
  HERMES_ASSERT(begins.size() == sizes.size());
  std::vector<Piece> out;
  for (std::size_t i = 0; i < begins.size(); ++i) {
    const std::int64_t b = std::max(lo, begins[i]), e = std::min(hi, begins[i] + sizes[i]);
    if (b < e) out.push_back({i, b, e});
  }
  return out;
}

}  // namespace hermes::dist
