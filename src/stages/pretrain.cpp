// The `pretrain` stage: the deck's model trained on the prepared shards (see docs/training.md).
#include <fstream>
#include <sstream>

#include "hermes/backend/select.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/files.hpp"
#include "hermes/core/log.hpp"
#include "hermes/dist/root_work.hpp"
#include "hermes/stages/stage.hpp"
#include "hermes/tokenizer/tokenizer.hpp"
#include "hermes/train/loader_source.hpp"
#include "hermes/train/trainer.hpp"

namespace hermes::stages {

void run_pretrain(StageContext& ctx) {
  const auto& d = ctx.deck;
  // A backend this build or node cannot offer fails now, not after the data is opened, and once:
  // every rank runs the same binary (a node without a GPU among GPU nodes still fails later, on
  // its own ranks, when the engine starts).
  dist::on_root_collectively(ctx.comm, [&] { backend::resolve(d.parallel.backend); });
  const std::filesystem::path tok_path = d.expand(d.tokenizer.path);
  if (!std::filesystem::exists(tok_path))
    fail("{}: tokenizer {} does not exist; run the tokenizer stage first or set tokenizer.path",
         d.where("tokenizer.path"), tok_path.string());
  const std::string tok_text = read_file(tok_path, "tokenizer file", "run the tokenizer stage or set tokenizer.path");
  const auto tok = tokenizer::Tokenizer::from_json_text(tok_text, tok_path.string());
  const auto model = deck::resolve_model(d.model, static_cast<std::int64_t>(tok.vocab_size()));
  if (model.vocab_size < static_cast<std::int64_t>(tok.vocab_size()))
    fail("{}: model.vocab_size = {} is smaller than the tokenizer's {} tokens ({}); raise it or leave it unset",
         d.where("model.vocab_size"), model.vocab_size, tok.vocab_size(), tok_path.string());
  const std::int64_t seq = d.train.seq_len > 0 ? d.train.seq_len : model.context_length;
  const auto fp = tok.fingerprint();
  auto train_src = train::open_split(d, ctx.comm, "train", seq, fp);
  const auto& comm = ctx.comm;
  train::TrainerInputs in{
      d,
      comm,
      ctx.run_dir,
      model,
      std::move(train_src),
      [&d, &comm, seq, fp](const std::string& split) { return train::open_split(d, comm, split, seq, fp); },
      tok_text,
      fp};
  train::Trainer trainer(std::move(in));
  trainer.run();
}

}  // namespace hermes::stages
