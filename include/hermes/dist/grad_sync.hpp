#pragma once
// Bucketed gradient all-reduce for data parallelism. The gradient arena is cut, from its end,
// into contiguous buckets of about `bucket_bytes` made of whole tensors (backward produces the
// last tensors first). During the last micro-batch's backward the model reports the lowest arena
// offset whose gradients are final; every bucket entirely above it starts an MPI_Iallreduce (in
// place, sum) while backward goes on. finish() starts what is left and waits for all of them.
// With one rank everything is a no-op.
#include <mpi.h>

#include <cstdint>
#include <vector>

#include "hermes/dist/communicator.hpp"

namespace hermes::dist {

class GradSync {
 public:
  // tensor_begins: the arena offset where each tensor starts, ascending (buckets hold whole tensors).
  GradSync(const Communicator& comm, float* grads, const std::vector<std::int64_t>& tensor_begins,
           std::int64_t n_params, double bucket_bytes);
  ~GradSync();
  GradSync(const GradSync&) = delete;
  GradSync& operator=(const GradSync&) = delete;

  void begin();                         // a new step's reduction (nothing in flight)
  void ready(std::int64_t ready_from);  // gradients at offsets >= ready_from are final
  void finish();                        // start the rest, wait for everything
  std::size_t buckets() const { return buckets_.size(); }

 private:
  void launch(std::size_t i);
  const Communicator& comm_;
  float* grads_;
  struct Bucket {
    std::int64_t lo, hi;
    bool launched = false;
  };
  std::vector<Bucket> buckets_;  // from the end of the arena to its start
  std::vector<MPI_Request> requests_;
  std::size_t next_ = 0;
};

}  // namespace hermes::dist
