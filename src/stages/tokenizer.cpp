// The `tokenizer` stage: train byte-level BPE on the corpus (every rank counts its byte range)
// and write tokenizer.json (rank 0, temporary name then rename).
#include <sys/resource.h>

#include <filesystem>

#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"
#include "hermes/core/strings.hpp"
#include "hermes/stages/stage.hpp"
#include "hermes/tokenizer/trainer.hpp"

namespace hermes::stages {

void run_tokenizer(StageContext& ctx) {
  const auto& d = ctx.deck;
  const auto& t = d.tokenizer;
  tokenizer::TrainerOptions options;
  options.vocab_size = static_cast<std::size_t>(t.vocab_size);
  options.min_frequency = static_cast<std::uint64_t>(t.min_frequency);
  options.special_tokens = t.special_tokens;
  options.pattern = t.pattern;
  options.where = d.where("tokenizer.vocab_size");
  tokenizer::CorpusOptions corpus;
  for (const auto& f : t.inputs.empty() ? d.data.inputs : t.inputs) corpus.files.push_back(d.expand(f));
  corpus.format = t.format.empty() ? d.data.format : t.format;
  corpus.text_field = t.text_field;
  corpus.max_bytes = static_cast<std::uint64_t>(t.max_bytes);
  if (corpus.files.empty())
    fail("{}: the tokenizer stage has no corpus; set [tokenizer] inputs (or [data] inputs)",
         d.where("tokenizer.inputs"));

  const std::filesystem::path path = d.expand(t.path);
  log::info("tokenizer: training a {}-token byte-level BPE ({} pattern) on {} file(s), {} format, {} rank(s)",
            options.vocab_size, options.pattern, corpus.files.size(), corpus.format, ctx.comm.size());
  tokenizer::TrainingReport report;
  const auto tok = tokenizer::train_from_corpus(corpus, options, ctx.comm, &report);
  std::string error;
  if (ctx.comm.is_root()) {
    try {
      if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
      tok.save(path);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  if (ctx.comm.any(!error.empty())) {
    if (!error.empty()) throw Error(error);
    fail_environment("rank 0 could not write {}", path.string());
  }
  log::info(
      "tokenizer: {} in {} records, {} distinct pre-tokens, {} merges; counting {:.2f} s, merging {:.2f} s ({} "
      "exchanges, {:.2f} s)",
      format_bytes(report.bytes), report.records, report.distinct_pretokens, report.merges, report.count_seconds,
      report.merge_seconds, report.exchanges, report.exchange_seconds);
  log::info("tokenizer: CPU time of the busiest rank: counting {:.2f} s, merging {:.2f} s outside exchanges",
            report.count_cpu_seconds, report.merge_cpu_seconds);
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const double peak = ctx.comm.allreduce_max(static_cast<double>(usage.ru_maxrss) * 1024.0);
  log::info("tokenizer: peak memory {} (largest rank)", format_bytes(peak));
  log::info("tokenizer: wrote {} (vocab {}, fingerprint {})", path.string(), tok.vocab_size(), tok.fingerprint());
  if (tok.vocab_size() < options.vocab_size)
    log::warn(
        "tokenizer: the corpus ran out of pairs at {} tokens (asked for {}); more text or a lower min_frequency gives "
        "more",
        tok.vocab_size(), options.vocab_size);
}

}  // namespace hermes::stages
