// The `prepare` stage: loads the deck's tokenizer and runs the data pipeline (data/prepare.hpp)
// over data.inputs, writing shards and the manifest to data.output_dir.
#include "hermes/data/prepare.hpp"

#include <algorithm>

#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"
#include "hermes/core/strings.hpp"
#include "hermes/data/random.hpp"
#include "hermes/data/tokenizer_encoder.hpp"
#include "hermes/stages/stage.hpp"
#include "hermes/tokenizer/tokenizer.hpp"

namespace hermes::stages {

void run_prepare(StageContext& ctx) {
  const auto& d = ctx.deck;
  data::PrepareOptions o;
  o.inputs = d.data.inputs;
  for (auto& p : o.inputs) p = d.expand(p);
  o.corpus.format = d.data.format;
  o.corpus.text_field = d.data.text_field;
  o.corpus.doc_separator = d.data.doc_separator;
  o.corpus.one_doc_per_file = d.data.one_doc_per_file;
  o.corpus.skip_bad_records = d.data.skip_bad_records;
  o.assistant_mask = d.data.loss_mask == "assistant";
  if (o.assistant_mask && d.data.format != "sharegpt")
    log::warn(
        "data.loss_mask = \"assistant\" with data.format = \"{}\": plain text has no assistant spans, every "
        "token counts",
        d.data.format);
  o.output_dir = d.expand(d.data.output_dir);
  o.shard_tokens = static_cast<std::uint64_t>(d.data.shard_tokens);
  o.val_fraction = d.data.val_fraction;
  o.test_fraction = d.data.test_fraction;
  o.data_fraction = d.data.data_fraction;
  o.seed = data::derive_seed(static_cast<std::uint64_t>(d.run.seed), "split");
  o.tokenizer_path = d.expand(d.tokenizer.path);

  // Every rank loads the tokenizer (each encodes its own documents).
  const auto tok = tokenizer::Tokenizer::load(o.tokenizer_path);
  const data::Encoder encoder = data::tokenizer_encoder(tok);
  log::info("prepare: {} input{} ({}) -> {} with tokenizer {} (vocab {}, fingerprint {})", o.inputs.size(),
            o.inputs.size() == 1 ? "" : "s", d.data.format, o.output_dir.string(), o.tokenizer_path, encoder.vocab_size,
            encoder.fingerprint);
  if (const auto roles = tokenizer::describe_role_aliases(tok); !roles.empty())
    log::info("prepare: the tokenizer has none of hermes's special tokens it needs; its own play them: {}", roles);
  const data::PrepareResult r = data::prepare_dataset(o, encoder, ctx.comm);
  if (r.reused) {
    log::info("prepare: inputs, tokenizer and settings unchanged; reusing the shards in {}", o.output_dir.string());
  } else {
    if (!r.rebuild_reason.empty() && r.rebuild_reason != "no earlier shards")
      log::info("prepare: rebuilt the shards because {}", r.rebuild_reason);
    const double slowest = ctx.comm.allreduce_max(r.encode_seconds);
    log::info("prepare: {} of input in {:.2f} s ({:.2f} MB/s per rank over {} rank{}){}",
              format_bytes(static_cast<double>(r.input_bytes)), r.total_seconds,
              static_cast<double>(r.input_bytes) / 1e6 / std::max(slowest, 1e-9) / ctx.comm.size(), ctx.comm.size(),
              ctx.comm.size() == 1 ? "" : "s",
              r.skipped_records
                  ? fmt::format("; skipped {} bad record{}", r.skipped_records, r.skipped_records == 1 ? "" : "s")
                  : "");
  }
  for (const auto& split : data::kSplits) {
    const auto& s = r.splits.at(split);
    log::info("prepare: {:<5} {:>9} documents {:>12} tokens {:>4} shard{}", split, s.documents, s.tokens, s.shards,
              s.shards == 1 ? "" : "s");
  }
}

}  // namespace hermes::stages
