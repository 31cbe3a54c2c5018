#include "hermes/train/source.hpp"

#include <algorithm>

namespace hermes::train {

namespace {
std::uint64_t mix(std::uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
}  // namespace

SyntheticSource::SyntheticSource(std::int64_t vocab, std::int64_t batch, std::int64_t seq_len, int rank, int world,
                                 std::uint64_t seed, std::int64_t windows_per_epoch)
    : vocab_(vocab), batch_(batch), seq_len_(seq_len), windows_(windows_per_epoch), rank_(rank), world_(world) {
  cursor_.seed = seed;
}

std::int64_t SyntheticSource::batches_per_epoch() const { return windows_ / (batch_ * world_); }

void SyntheticSource::next(data::Batch& out) {
  if (static_cast<std::int64_t>(cursor_.position) + batch_ * world_ > batches_per_epoch() * batch_ * world_) {
    cursor_.epoch += 1;
    cursor_.position = 0;
  }
  out.batch = batch_;
  out.seq_len = seq_len_;
  out.inputs.resize(batch_ * seq_len_);
  out.targets.resize(batch_ * seq_len_);
  out.mask.assign(batch_ * seq_len_, 1);
  const std::int64_t m = std::min<std::int64_t>(vocab_, 61);  // a small alphabet: learnable fast
  for (std::int64_t b = 0; b < batch_; ++b) {
    const std::uint64_t slot = cursor_.position + static_cast<std::uint64_t>(rank_ + b * world_);
    // The epoch's "permutation": an invertible mix of the slot index keyed by seed and epoch.
    const std::uint64_t window = mix(slot ^ mix(cursor_.seed * 1315423911ull + cursor_.epoch));
    const std::uint64_t h = mix(window);
    const std::int64_t a = 1, c = 1 + static_cast<std::int64_t>((h >> 8) % 4);  // a stride per window
    std::int64_t x = static_cast<std::int64_t>((h >> 16) % static_cast<std::uint64_t>(m));
    for (std::int64_t t = 0; t <= seq_len_; ++t) {
      const std::int32_t tok = static_cast<std::int32_t>(x);
      if (t < seq_len_) out.inputs[b * seq_len_ + t] = tok;
      if (t > 0) out.targets[b * seq_len_ + t - 1] = tok;
      x = (a * x + c) % m;
    }
  }
  cursor_.position += static_cast<std::uint64_t>(batch_ * world_);
}

}  // namespace hermes::train
