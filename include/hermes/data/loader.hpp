#pragma once
// Batches for training and evaluation from prepared HDF5 shards.
// The contract pretrain and evaluate code against:
//   Documents (each ended by the end token) are packed into windows of seq_len + 1 tokens; the
//   window order is a seeded permutation per epoch; rank r of R takes windows r, r+R, ... of each
//   global batch, so ranks never see the same window. inputs = window[0..T), targets =
//   window[1..T+1), mask = loss mask of the targets (1 = counts in the loss). With
//   document_starts, doc_start[t] is the position in the window where input t's document begins
//   (0 when it began before the window): what attention's document mask needs.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace hermes::data {

struct Batch {
  std::int64_t batch = 0, seq_len = 0;
  std::vector<std::int32_t> inputs;     // (batch, seq_len)
  std::vector<std::int32_t> targets;    // (batch, seq_len)
  std::vector<std::uint8_t> mask;       // (batch, seq_len)
  std::vector<std::int32_t> doc_start;  // (batch, seq_len), or empty: no document mask
};

// The loader's whole position: stored in checkpoints so a resumed run sees the same batches.
struct LoaderCursor {
  std::uint64_t epoch = 0;
  std::uint64_t position = 0;  // next global window index within the epoch's permutation
  std::uint64_t seed = 0;
};

struct LoaderOptions {
  std::filesystem::path dataset_dir;  // folder holding manifest.json and the shards
  std::string split = "train";        // train, val or test
  std::int64_t batch = 1;             // sequences per rank per micro-batch
  std::int64_t seq_len = 0;
  std::uint64_t seed = 0;
  int rank = 0, world = 1;
  std::string tokenizer_fingerprint;  // refuse shards made by another tokenizer ("" = skip check)
  bool shuffle = true;                // false for evaluation: fixed order
  bool document_starts = false;       // fill Batch::doc_start from the shards' document offsets
  // A split shorter than one global batch: an error, or (true, for evaluation splits) a loader
  // whose batches_per_epoch is 0, which the caller must not call next() on.
  bool allow_too_short = false;
};

class Loader {
 public:
  explicit Loader(const LoaderOptions& options);
  ~Loader();
  Loader(Loader&&) noexcept;
  Loader& operator=(Loader&&) noexcept;

  // Fills `out` with this rank's next micro-batch; at the end of an epoch moves to the next one
  // (new permutation) and keeps going.
  void next(Batch& out);
  // Global micro-batches (of batch x world windows) in one epoch.
  std::int64_t batches_per_epoch() const;
  std::int64_t total_tokens() const;  // tokens in this split
  LoaderCursor cursor() const;
  void restore(const LoaderCursor& cursor);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hermes::data
