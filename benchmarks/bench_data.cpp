// Data pipeline benchmarks.
//   bench_data [google-benchmark flags]     loader cost per batch, synth and ShareGPT parsing rates
//   mpiexec -n R bench_data --prepare [MB]  prepare throughput on R ranks (byte-level stand-in
//                                           encoder: the pipeline's own cost, without BPE), one
//                                           JSON line from rank 0
// The prepare stage logs the same MB/s-per-rank figure with the real tokenizer
// (benchmarks/data_prepare_scaling.sh runs it on 1 and 2 ranks).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "../tests/support/data_stand_in.hpp"
#include "hermes/core/log.hpp"
#include "hermes/data/corpus.hpp"
#include "hermes/data/loader.hpp"
#include "hermes/data/prepare.hpp"
#include "hermes/data/random.hpp"
#include "hermes/data/synth.hpp"
#include "hermes/dist/communicator.hpp"

using namespace hermes;
namespace fs = std::filesystem;

namespace {

fs::path scratch() {
  static const fs::path p = fs::temp_directory_path() / ("hermes_bench_data_" + std::to_string(::getpid()));
  return p;
}

// A text corpus of ~`mb` MB and its prepared dataset (all train), made once.
const fs::path& loader_dataset() {
  static const fs::path out = [] {
    const fs::path dir = scratch() / "loader";
    fs::create_directories(dir);
    data::Rng rng(1);
    {
      std::ofstream f(dir / "corpus.txt");
      for (int d = 0; d < 20000; ++d) {
        for (auto w = rng.range(20, 300); w > 0; --w) f << rng.below(100000) << ' ';
        f << "\n\n";
      }
    }
    data::PrepareOptions o;
    o.inputs = {(dir / "corpus.txt").string()};
    o.output_dir = dir / "data";
    o.val_fraction = o.test_fraction = 0;
    o.shard_tokens = 1 << 22;
    data::prepare_dataset(o, test::stand_in_encoder(), dist::Communicator::self());
    return o.output_dir;
  }();
  return out;
}

void BM_LoaderNext(benchmark::State& state) {
  data::LoaderOptions o;
  o.dataset_dir = loader_dataset();
  o.batch = state.range(0);
  o.seq_len = state.range(1);
  o.seed = 3;
  data::Loader loader(o);
  data::Batch b;
  for (auto _ : state) {
    loader.next(b);
    benchmark::DoNotOptimize(b.inputs.data());
  }
  state.SetItemsProcessed(state.iterations() * o.batch * o.seq_len);  // tokens; Time is per batch
}
BENCHMARK(BM_LoaderNext)->Args({8, 256})->Args({8, 1024})->Args({32, 2048})->Unit(benchmark::kMicrosecond);

void BM_SynthConversation(benchmark::State& state) {
  std::uint64_t i = 0, bytes = 0;
  for (auto _ : state) bytes += data::synth_conversation(7, i++).dump().size();
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SynthConversation);

void BM_ParseShareGpt(benchmark::State& state) {
  std::vector<std::string> lines;
  for (std::uint64_t i = 0; i < 256; ++i) lines.push_back(data::synth_conversation(9, i).dump());
  data::CorpusOptions o;
  o.format = "sharegpt";
  std::size_t k = 0, bytes = 0;
  for (auto _ : state) {
    const auto& l = lines[k++ % lines.size()];
    benchmark::DoNotOptimize(data::parse_document(l, "bench", 1, o));
    bytes += l.size();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_ParseShareGpt);

int prepare_scaling(double mb, const dist::Communicator& comm) {
  std::string dir;
  if (comm.is_root()) {
    dir = (scratch() / "prepare").string();
    fs::create_directories(dir);
    std::uint64_t bytes = 0, i = 0;
    std::ofstream f(fs::path(dir) / "corpus.jsonl");
    while (bytes < static_cast<std::uint64_t>(mb * 1e6)) {
      const std::string line = data::synth_conversation(5, i++).dump() + "\n";
      f << line;
      bytes += line.size();
    }
  }
  comm.broadcast(dir);
  data::PrepareOptions o;
  o.inputs = {(fs::path(dir) / "corpus.jsonl").string()};
  o.corpus.format = "sharegpt";
  o.assistant_mask = true;
  o.output_dir = fs::path(dir) / ("out" + std::to_string(comm.size()));
  o.shard_tokens = 1 << 20;
  comm.barrier();
  // CPU time too: on a shared machine wall time measures the neighbours as much as hermes.
  auto cpu_now = [] {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
  };
  const double cpu0 = cpu_now();
  const auto r = data::prepare_dataset(o, test::stand_in_encoder(), comm);
  const double cpu = comm.allreduce_max(cpu_now() - cpu0);
  const double seconds = comm.allreduce_max(r.total_seconds);
  const double encode = comm.allreduce_max(r.encode_seconds);
  if (comm.is_root()) {
    const double in_mb = static_cast<double>(r.input_bytes) / 1e6;
    std::cout << "{\"bench\": \"prepare\", \"encoder\": \"byte-stand-in\", \"ranks\": " << comm.size()
              << ", \"input_mb\": " << in_mb << ", \"seconds\": " << seconds << ", \"encode_seconds\": " << encode
              << ", \"max_rank_cpu_seconds\": " << cpu << ", \"mb_per_cpu_s_per_rank\": " << in_mb / comm.size() / cpu
              << ", \"mb_per_s\": " << in_mb / seconds << ", \"mb_per_s_per_rank\": " << in_mb / seconds / comm.size()
              << ", \"tokens\": "
              << r.splits.at("train").tokens + r.splits.at("val").tokens + r.splits.at("test").tokens << "}"
              << std::endl;
    fs::remove_all(dir);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  dist::MpiSession mpi(&argc, &argv);
  const auto comm = dist::Communicator::world();
  log::init(comm.rank(), comm.size(), log::Level::warn);
  int status = 0;
  if (argc >= 2 && std::strcmp(argv[1], "--prepare") == 0) {
    status = prepare_scaling(argc >= 3 ? std::atof(argv[2]) : 20.0, comm);
  } else if (comm.is_root()) {
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
  }
  if (comm.is_root()) fs::remove_all(scratch());
  return status;
}
