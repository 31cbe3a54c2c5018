// The `evaluate` stage: loss, token accuracy and perplexity of a checkpoint on val and test.
#include <fstream>

#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"
#include "hermes/io/checkpoint.hpp"
#include "hermes/stages/stage.hpp"
#include "hermes/tokenizer/tokenizer.hpp"
#include "hermes/train/loader_source.hpp"
#include "hermes/train/trainer.hpp"

namespace hermes::stages {

// The checkpoint to evaluate: generate.checkpoint when set, else the run's final, else latest.
std::filesystem::path checkpoint_to_use(const deck::Deck& d) {
  if (!d.generate.checkpoint.empty()) return d.expand(d.generate.checkpoint);
  const std::filesystem::path dir = d.expand(d.checkpoint.dir);
  if (std::filesystem::exists(dir / "final.h5")) return dir / "final.h5";
  if (std::filesystem::exists(dir / "latest")) {
    std::string name;
    std::ifstream(dir / "latest") >> name;
    return dir / name;
  }
  fail("{}: no checkpoint in {} (neither final.h5 nor latest); run the pretrain stage first",
       d.where("checkpoint.dir"), dir.string());
}

void run_evaluate(StageContext& ctx) {
  const auto& d = ctx.deck;
  const auto path = checkpoint_to_use(d);
  const auto header = io::read_checkpoint_header(path);
  const std::filesystem::path tok_path = d.expand(d.tokenizer.path);
  std::string fp = header.tokenizer_fingerprint;
  if (std::filesystem::exists(tok_path)) fp = tokenizer::Tokenizer::load(tok_path).fingerprint();
  const auto model_cfg = header.model;
  const std::int64_t seq = d.train.seq_len > 0 ? std::min(d.train.seq_len, model_cfg.context_length) : model_cfg.context_length;
  model::Transformer<float> model(model_cfg, d.train.batch_size, seq);
  io::CheckpointData into;
  into.model = model_cfg;
  into.tokenizer_fingerprint = fp;
  for (const auto& s : model.slots()) into.weights.push_back({s.spec.name, s.spec.shape, model.params() + s.offset});
  io::load_checkpoint(path, into, false);
  log::info("evaluating {} (step {}, {} parameters)", path.string(), into.state.step, model.num_params());
  for (const char* split : {"val", "test"}) {
    auto src = train::open_split(d, ctx.comm, split, seq, fp);
    if (!src) continue;
    const auto r = train::evaluate(model, *src, d.eval.batches, ctx.comm);
    log::info("{:<4} loss {:.4f} | accuracy {:.2f}% | perplexity {:.2f} | {} tokens", split, r.loss,
              100.0 * r.accuracy, r.perplexity, r.tokens);
  }
}

}  // namespace hermes::stages
