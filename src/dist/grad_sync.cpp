#include "hermes/dist/grad_sync.hpp"

#include <climits>

namespace hermes::dist {

GradSync::GradSync(const Communicator& comm, float* grads, const std::vector<std::int64_t>& tensor_begins,
                   std::int64_t n_params, double bucket_bytes)
    : comm_(comm), grads_(grads) {
  const std::int64_t target = std::max<std::int64_t>(1, static_cast<std::int64_t>(bucket_bytes / sizeof(float)));
  std::int64_t hi = n_params;
  for (auto it = tensor_begins.rbegin(); it != tensor_begins.rend(); ++it) {
    const std::int64_t lo = *it;
    // MPI counts are ints: a bucket also closes before it would pass INT_MAX elements.
    if (hi - lo >= target || hi - lo >= INT_MAX / 2 || it + 1 == tensor_begins.rend()) {
      buckets_.push_back({lo, hi});
      hi = lo;
    }
  }
  requests_.assign(buckets_.size(), MPI_REQUEST_NULL);
}

GradSync::~GradSync() {
  for (auto& r : requests_)
    if (r != MPI_REQUEST_NULL) MPI_Wait(&r, MPI_STATUS_IGNORE);
}

void GradSync::begin() {
  next_ = 0;
  for (auto& b : buckets_) b.launched = false;
}

void GradSync::launch(std::size_t i) {
  auto& b = buckets_[i];
  b.launched = true;
  if (comm_.size() == 1) return;
  HERMES_MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, grads_ + b.lo, static_cast<int>(b.hi - b.lo), MPI_FLOAT, MPI_SUM,
                                  comm_.handle(), &requests_[i]));
}

void GradSync::ready(std::int64_t ready_from) {
  while (next_ < buckets_.size() && buckets_[next_].lo >= ready_from) launch(next_++);
  if (comm_.size() > 1 && next_ > 0) {
    int flag = 0;  // lets the MPI library progress the reductions already in flight
    HERMES_MPI_CHECK(MPI_Testall(static_cast<int>(next_), requests_.data(), &flag, MPI_STATUSES_IGNORE));
  }
}

void GradSync::finish() {
  while (next_ < buckets_.size()) launch(next_++);
  if (comm_.size() > 1)
    HERMES_MPI_CHECK(MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE));
}

}  // namespace hermes::dist
