// The `info` stage: what the deck's model costs before any work is done.
#include "hermes/core/log.hpp"
#include "hermes/model/report.hpp"
#include "hermes/stages/stage.hpp"

namespace hermes::stages {

void run_info(StageContext& ctx) {
  const auto& d = ctx.deck;
  const auto model = deck::resolve_model(d.model);
  const std::int64_t seq = d.train.seq_len > 0 ? d.train.seq_len : model.context_length;
  const auto precision = model::parse_precision(d.train.precision == "auto"
                                                    ? (d.parallel.backend == "cuda" ? "bf16" : "fp32")
                                                    : d.train.precision);
  log::info("{}", model::model_report(model, d.train.batch_size, seq, precision, d.optim.name == "muon"));
}

}  // namespace hermes::stages
