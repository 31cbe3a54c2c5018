// The `synth` stage: writes the synthetic agentic corpus (data.synth_conversations records,
// seeded from run.seed) to data.synth_output. Rank 0 writes; generation is cheap.
#include "hermes/core/log.hpp"
#include "hermes/core/strings.hpp"
#include "hermes/data/random.hpp"
#include "hermes/data/synth.hpp"
#include "hermes/dist/root_work.hpp"
#include "hermes/stages/stage.hpp"

namespace hermes::stages {

void run_synth(StageContext& ctx) {
  const auto& d = ctx.deck;
  const std::string path = d.expand(d.data.synth_output);
  const auto count = static_cast<std::uint64_t>(d.data.synth_conversations);
  const std::uint64_t seed = data::derive_seed(static_cast<std::uint64_t>(d.run.seed), "synth");
  std::uint64_t bytes = 0;
  dist::on_root_collectively(ctx.comm,
                             [&] { bytes = data::write_synth_corpus(path, seed, count, d.data.synth_tool_mix); });
  log::info("synth: {} conversations ({}) in {} (run.seed {})", count, format_bytes(static_cast<double>(bytes)), path,
            d.run.seed);
}

}  // namespace hermes::stages
