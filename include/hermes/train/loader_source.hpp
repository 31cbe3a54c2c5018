#pragma once
// BatchSource over the prepared HDF5 shards (data::Loader).
#include <memory>
#include <string>

#include "hermes/deck/deck.hpp"
#include "hermes/dist/communicator.hpp"
#include "hermes/train/source.hpp"

namespace hermes::train {

class LoaderSource : public BatchSource {
 public:
  explicit LoaderSource(const data::LoaderOptions& options) : loader_(options) {}
  void next(data::Batch& out) override { loader_.next(out); }
  std::int64_t batches_per_epoch() const override { return loader_.batches_per_epoch(); }
  data::LoaderCursor cursor() const override { return loader_.cursor(); }
  void restore(const data::LoaderCursor& cursor) override { loader_.restore(cursor); }
  std::int64_t total_tokens() const { return loader_.total_tokens(); }

 private:
  data::Loader loader_;
};

// The deck's dataset split as a source for this rank (train: shuffled; val/test: fixed order), or
// nullptr for an empty evaluation split.
std::unique_ptr<BatchSource> open_split(const deck::Deck& deck, const dist::Communicator& comm,
                                        const std::string& split, std::int64_t seq_len,
                                        const std::string& tokenizer_fingerprint);

}  // namespace hermes::train
