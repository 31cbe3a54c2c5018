#include "hermes/generate/load.hpp"

#include "hermes/backend/select.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"

namespace hermes::generate {

std::unique_ptr<LoadedModel> load_model(const deck::Deck& d, std::int64_t max_batch, int local_rank) {
  auto m = std::make_unique<LoadedModel>();
  const std::filesystem::path tok_path = d.expand(d.tokenizer.path);
  m->checkpoint = io::checkpoint_to_use(d);
  if (!std::filesystem::exists(m->checkpoint))
    fail(
        "{}: checkpoint {} does not exist; pass --checkpoint or set generate.checkpoint to a .h5 "
        "written by pretrain",
        d.where("generate.checkpoint"), m->checkpoint.string());
  m->header = io::read_checkpoint_header(m->checkpoint);
  // Without --tokenizer (tokenizer.path unset) a checkpoint decodes with the tokenizer it holds.
  if (!d.is_set("tokenizer.path") && !std::filesystem::exists(tok_path)) {
    if (m->header.tokenizer_json.empty())
      fail("checkpoint {} holds no tokenizer; pass --tokenizer with the tokenizer.json it was trained with",
           m->checkpoint.string());
    m->tok = tokenizer::Tokenizer::from_json_text(m->header.tokenizer_json, m->checkpoint.string() + " (tokenizer)");
    log::info("generate: the tokenizer stored in {}", m->checkpoint.string());
  } else {
    if (!std::filesystem::exists(tok_path))
      fail(
          "{}: tokenizer {} does not exist; pass --tokenizer with the tokenizer.json the checkpoint "
          "{} was trained with, or leave it out to use the one the checkpoint holds",
          d.where("tokenizer.path"), tok_path.string(), m->checkpoint.string());
    m->tok = tokenizer::Tokenizer::load(tok_path);
  }
  if (const auto roles = tokenizer::describe_role_aliases(m->tok); !roles.empty())
    log::info("generate: the tokenizer's own special tokens play hermes's: {}", roles);
  const backend::Kind kind = backend::resolve(d.parallel.backend);
  const int device = kind == backend::Kind::cuda ? local_rank % backend::visible_gpus() : 0;
  if (kind == backend::Kind::cuda)
    log::info("generate: decoding on the cuda backend (GPU {}), parallel.backend = \"{}\"", device, d.parallel.backend);
  m->generator = std::make_unique<Generator>(m->header.model, m->tok, max_batch, kind, device);
  auto& dec = m->generator->decoder();
  io::CheckpointData into;
  into.model = m->header.model;
  into.tokenizer_fingerprint = m->tok.fingerprint();
  for (const auto& spec : model::parameter_layout(m->header.model))
    into.weights.push_back({spec.name, spec.shape, dec.params() + dec.param_offset(spec.name)});
  io::load_checkpoint(m->checkpoint, into, false);  // refuses another model or tokenizer
  return m;
}

}  // namespace hermes::generate
