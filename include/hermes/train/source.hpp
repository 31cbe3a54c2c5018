#pragma once
// Where training and evaluation batches come from. The trainer sees only this interface: the
// real one wraps data::Loader (prepared HDF5 shards); SyntheticSource makes learnable token
// windows from a seed so tests and benchmarks need no corpus. Both follow the loader contract:
// global micro-batch g holds windows [g*batch*world, (g+1)*batch*world); rank r takes windows
// r, r+world, ... of it, so N ranks with batch b see exactly what 1 rank with batch N*b sees.
#include <cstdint>
#include <memory>

#include "hermes/data/loader.hpp"

namespace hermes::train {

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual void next(data::Batch& out) = 0;
  virtual std::int64_t batches_per_epoch() const = 0;  // global micro-batches per epoch
  virtual data::LoaderCursor cursor() const = 0;
  virtual void restore(const data::LoaderCursor& cursor) = 0;
};

// Windows whose tokens follow x_{i+1} = (x_i + c) mod m, m <= 61, with the stride c in 1..4 and x_0
// drawn per window from the seed: a model can learn them, so the loss falls. The epoch permutes window order.
class SyntheticSource : public BatchSource {
 public:
  SyntheticSource(std::int64_t vocab, std::int64_t batch, std::int64_t seq_len, int rank, int world, std::uint64_t seed,
                  std::int64_t windows_per_epoch = 1 << 20);
  void next(data::Batch& out) override;
  std::int64_t batches_per_epoch() const override;
  data::LoaderCursor cursor() const override { return cursor_; }
  void restore(const data::LoaderCursor& cursor) override { cursor_ = cursor; }

 private:
  std::int64_t vocab_, batch_, seq_len_, windows_;
  int rank_, world_;
  data::LoaderCursor cursor_;
};

}  // namespace hermes::train
