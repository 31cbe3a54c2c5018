// The `info` stage: what the deck's model costs before any work is done.
#include "hermes/backend/select.hpp"
#include "hermes/core/log.hpp"
#include "hermes/model/report.hpp"
#include "hermes/stages/stage.hpp"

namespace hermes::stages {

void run_info(StageContext& ctx) {
  const auto& d = ctx.deck;
  const auto model = deck::resolve_model(d.model);
  const std::int64_t seq = d.train.seq_len > 0 ? d.train.seq_len : model.context_length;
  // The precision training will use: bf16 on the CUDA backend ("cuda", or "auto" where a GPU is
  // visible), fp32 on the host. Without resolve(): info must also work on a login node.
  const bool gpu = d.parallel.backend == "cuda" || (d.parallel.backend == "auto" && backend::visible_gpus() > 0);
  const auto precision =
      model::parse_precision(d.train.precision == "auto" ? (gpu ? "bf16" : "fp32") : d.train.precision);
  log::info("{}", model::model_report(model, d.train.batch_size, seq, precision, d.optim.name == "muon"));
}

}  // namespace hermes::stages
