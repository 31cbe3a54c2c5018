// End-to-end training throughput on the host backend: `mpirun -n R bench_train --preset tiny`
// (`--set model.ffn=swiglu` and the like change the shape as a deck override would).
// Trains on SyntheticSource (no corpus needed) and prints one JSON object on rank 0: tokens/s,
// achieved GFLOP/s (PaLM FLOPs per token) against the measured SGEMM rate, and memory (peak RSS,
// the arenas hermes allocated, and `info`'s estimate). Steps run a fixed count on every rank, so
// ranks never disagree about when to stop.
#include <sys/resource.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "hermes/backend/host/runtime.hpp"
#include "hermes/core/log.hpp"
#include "hermes/deck/parser.hpp"
#include "hermes/dist/communicator.hpp"
#include "hermes/train/trainer.hpp"

using namespace hermes;

int main(int argc, char** argv) {
  backend::host::Runtime::restart_for_this_machine(argv);
  dist::MpiSession mpi(&argc, &argv);
  const auto comm = dist::Communicator::world();
  backend::host::Runtime runtime(argc, argv, comm.local_size());  // hermes's thread policy
  log::init(comm.rank(), comm.size(), log::Level::warn);
  std::string preset = "tiny", optim = "adamw";
  long batch = 8, seq = 256, steps = 10, warmup = 2, vocab = 0;
  std::vector<std::string> overrides;  // --set section.key=value, as on `hermes run`
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--preset")
      preset = v;
    else if (k == "--batch")
      batch = std::stol(v);
    else if (k == "--seq")
      seq = std::stol(v);
    else if (k == "--steps")
      steps = std::stol(v);
    else if (k == "--warmup")
      warmup = std::stol(v);
    else if (k == "--optim")
      optim = v;
    else if (k == "--vocab")
      vocab = std::stol(v);
    else if (k == "--set")
      overrides.push_back(v);
    else {
      std::fprintf(stderr,
                   "usage: bench_train [--preset P] [--batch B] [--seq T] [--steps S] [--warmup W] [--optim "
                   "adamw|muon] [--vocab V] [--set section.key=value ...]\n");
      return 2;
    }
  }
  std::string text = fmt::format(
      "[run]\nname = \"bench\"\nstages = [\"pretrain\"]\n[model]\npreset = \"{}\"\n{}[train]\nbatch_size = {}\nseq_len "
      "= {}\n"
      "max_steps = {}\nlog_interval = 1000000\n[optim]\nname = \"{}\"\n[eval]\ninterval = 0\ntest_at_end = false\n"
      "[checkpoint]\ninterval = 0\nsave_final = false\nsave_best = false\n",
      preset, vocab > 0 ? fmt::format("vocab_size = {}\n", vocab) : "", batch, seq, warmup + steps, optim);
  const auto d = deck::parse_deck(text, "bench_train", overrides);
  const auto m = deck::resolve_model(d.model);
  auto src = std::make_unique<train::SyntheticSource>(m.vocab_size, batch, seq, comm.rank(), comm.size(), 1);
  train::Trainer t(train::TrainerInputs{d, comm, {}, m, std::move(src), {}, "", ""});
  // CPU seconds as well as wall: on a shared machine the wall time includes waiting for a core.
  auto cpu_now = [] {
    struct rusage u {};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
  };
  double cpu_start = 0;
  std::chrono::steady_clock::time_point start;
  t.on_step = [&](const train::StepRecord& r) {
    if (r.step == warmup) {
      comm.barrier();
      start = std::chrono::steady_clock::now();
      cpu_start = cpu_now();
    }
  };
  t.run();
  comm.barrier();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double cpu[1] = {cpu_now() - cpu_start};
  comm.allreduce_sum(std::span<double>(cpu, 1));
  const double tokens = static_cast<double>(steps * batch * seq * comm.size());
  const double tok_s = tokens / secs;
  const double flops = model::training_flops_per_token(m, seq) * tok_s;
  // The SGEMM rate at the end and at the start (the trainer's): the larger, as load varies.
  const double sgemm = std::max(train::measure_sgemm_flops(), t.peak_flops());
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  const double rss = static_cast<double>(comm.allreduce_max(static_cast<double>(ru.ru_maxrss) * 1024.0));
  const auto est = model::training_memory(m, batch, seq, model::Precision::fp32, optim == "muon");
  if (comm.is_root())
    std::printf(
        "{\"preset\": \"%s\", \"optim\": \"%s\", \"ranks\": %d, \"threads_per_rank\": %d, \"kokkos\": \"%s %d\", "
        "\"batch_per_rank\": %ld, \"seq_len\": %ld, "
        "\"parameters\": %lld, \"steps\": %ld, \"seconds\": %.3f, \"tokens_per_s\": %.1f, \"cpu_seconds\": %.3f, "
        "\"tokens_per_cpu_s\": %.1f, \"gflops_per_s\": %.2f, "
        "\"sgemm_gflops_per_rank\": %.2f, \"fraction_of_sgemm\": %.3f, \"peak_rss_bytes_per_rank\": %.0f, "
        "\"allocated_bytes_per_rank\": %zu, \"info_estimate_bytes\": %.0f}\n",
        preset.c_str(), optim.c_str(), comm.size(), runtime.policy().blas_threads,
        runtime.policy().kokkos_space.c_str(), runtime.policy().kokkos_threads, batch, seq,
        static_cast<long long>(t.num_params()), steps, secs, tok_s, cpu[0], tokens / cpu[0], flops / 1e9, sgemm / 1e9,
        flops / (sgemm * comm.size()), rss, t.allocated_bytes(), est.total());
  return 0;
}
