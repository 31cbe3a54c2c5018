#include "hermes/train/loader_source.hpp"

#include <set>

#include "hermes/core/log.hpp"

namespace hermes::train {

std::unique_ptr<BatchSource> open_split(const deck::Deck& d, const dist::Communicator& comm, const std::string& split,
                                        std::int64_t seq_len, const std::string& fingerprint) {
  // A split the deck asked not to have is simply not evaluated.
  if ((split == "val" && d.data.val_fraction <= 0) || (split == "test" && d.data.test_fraction <= 0)) return nullptr;
  data::LoaderOptions o;
  o.dataset_dir = d.expand(d.data.output_dir);
  o.split = split;
  o.batch = d.train.batch_size;
  o.seq_len = seq_len;
  o.seed = static_cast<std::uint64_t>(d.run.seed);
  o.rank = comm.rank();
  o.world = comm.size();
  o.tokenizer_fingerprint = fingerprint;
  o.shuffle = split == "train";
  o.document_starts = d.train.document_mask;
  o.allow_too_short = split != "train";
  auto src = std::make_unique<LoaderSource>(o);
  if (split != "train" && (src->total_tokens() == 0 || src->batches_per_epoch() == 0)) {
    // Said once per run: the pretrain and the evaluate stage both open the split.
    static std::set<std::string> warned;
    if (!warned.insert(o.dataset_dir.string() + "/" + split).second) return nullptr;
    log::warn(
        "the {} split in {} ({} tokens) is too small for one batch of {} x {} tokens; skipping its "
        "evaluation (raise data.{}_fraction, or lower train.batch_size or train.seq_len)",
        split, o.dataset_dir.string(), src->total_tokens(), o.batch * comm.size(), seq_len + 1, split);
    return nullptr;
  }
  return src;
}

}  // namespace hermes::train
