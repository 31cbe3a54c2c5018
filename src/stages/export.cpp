// The `export` stage: the run's model written for other tools ([export] format, dtype, output),
// so a batch job ends with a file llama.cpp or transformers loads (docs/interop.md).
#include "hermes/core/log.hpp"
#include "hermes/dist/root_work.hpp"
#include "hermes/interop/export.hpp"
#include "hermes/io/checkpoint.hpp"
#include "hermes/stages/stage.hpp"

namespace hermes::stages {

void run_export(StageContext& ctx) {
  const auto& d = ctx.deck;
  const auto& e = d.export_;
  // One rank writes; every rank learns of a refusal together.
  dist::on_root_collectively(ctx.comm, [&] {
    interop::ExportRequest r;
    r.checkpoint = e.checkpoint.empty() ? io::checkpoint_to_use(d) : std::filesystem::path(d.expand(e.checkpoint));
    r.format = e.format;
    r.dtype = e.dtype;
    r.output = d.expand(!e.output.empty() ? e.output : e.format == "hf" ? "{run_dir}/hf" : "{run_dir}/model.gguf");
    const auto s = interop::export_model(r);
    log::info("export: {} ({}, {}) from {} -> {} | {:.1f} MiB in {:.2f} s", e.format, s.dtype,
              s.files.size() == 1 ? "1 file" : fmt::format("{} files", s.files.size()), r.checkpoint.string(),
              r.output.string(), static_cast<double>(s.bytes) / (1 << 20), s.seconds);
  });
}

}  // namespace hermes::stages
