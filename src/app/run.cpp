#include "hermes/app/run.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <unistd.h>

#include "hermes/backend/host/blas_kernels.hpp"
#include "hermes/core/durable.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"
#include "hermes/core/threads.hpp"
#include "hermes/dist/root_work.hpp"
#include "hermes/dist/stop_signal.hpp"
#include "hermes/deck/parser.hpp"
#include "hermes/stages/stage.hpp"
#include "hermes/version.hpp"

namespace hermes::app {
namespace fs = std::filesystem;

namespace {
constexpr const char* kFinishedMarker = "finished";

// A run directory worth protecting: its run finished, or training saved a checkpoint in it.
bool finished_or_checkpointed(const fs::path& dir) {
  if (fs::exists(dir / kFinishedMarker)) return true;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir / "checkpoints", ec))
    if (e.path().extension() == ".h5") return true;
  return false;
}
}  // namespace

fs::path prepare_run_directory(deck::Deck& deck, bool force, const dist::Communicator& comm) {
  const fs::path dir = deck.run_dir();
  int resume = static_cast<int>(deck.run.resume);
  on_root_collectively(comm, [&] {
    const bool exists = fs::exists(dir);
    if (deck.run.resume == deck::Resume::if_exists) {
      if (force) fail("--force and run.resume = \"auto\" contradict each other; choose one");
      resume = static_cast<int>(exists && !fs::is_empty(dir) ? deck::Resume::yes : deck::Resume::no);
    } else if (deck.run.resume == deck::Resume::yes) {
      if (!exists)
        fail(
            "{}: run.resume = true but there is no run to resume at {}; drop run.resume to start it, or "
            "set run.resume = \"auto\" to start it when it is missing",
            deck.where("run.resume"), dir.string());
      if (force) fail("--force and run.resume = true contradict each other; choose one");
    } else if (exists && !fs::is_empty(dir) && !force && !finished_or_checkpointed(dir)) {
      log::info("run directory {} holds an attempt that stopped before its first checkpoint: starting again in it",
                dir.string());
    } else if (exists && !fs::is_empty(dir)) {
      if (!force)
        fail(
            "run directory {} already exists; resume it with run.resume=true, start over with --force, "
            "or choose another run.name",
            dir.string());
      fs::remove_all(dir);
    }
    fs::create_directories(dir);
  });
  comm.broadcast_value(resume);
  deck.run.resume = static_cast<deck::Resume>(resume);
  comm.barrier();
  return dir;
}

namespace {

std::string host_name() {
  char name[256] = {0};
  gethostname(name, sizeof(name) - 1);
  return name;
}

// A one-shot failure for testing error paths under mpirun: HERMES_INJECT_FAILURE=rank:N makes
// rank N fail before its first stage, as a real rank-local error would.
void maybe_inject_failure(const dist::Communicator& comm) {
  const char* spec = std::getenv("HERMES_INJECT_FAILURE");
  if (!spec) return;
  const std::string s(spec);
  if (s.rfind("rank:", 0) == 0 && std::stoi(s.substr(5)) == comm.rank())
    fail("injected failure on rank {} (HERMES_INJECT_FAILURE={})", comm.rank(), s);
}

}  // namespace

int run_deck(const deck::Deck& given, const RunOptions& options, const dist::Communicator& comm) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  deck::Deck deck = given;  // run.resume = "auto" becomes true or false here
  fs::path run_dir;
  if (options.keep_run_dir) {
    run_dir = prepare_run_directory(deck, options.force, comm);
    if (comm.is_root()) {
      std::ofstream(run_dir / "deck.toml") << deck::to_toml(deck);
      log::add_file(run_dir / "hermes.log");
    }
  }
  log::info("hermes {} ({}) | {} rank{} on {} ({} per node) | deck {}", kVersion, kGitRevision, comm.size(),
            comm.size() == 1 ? "" : "s", host_name(), comm.local_size(), deck.source);
  log::info("threads per rank: {}", threads::describe(threads::current()));
  const std::string blas = backend::host::blas_kernels();
  if (const auto better = backend::host::better_blas_kernels(blas, backend::host::cpu_features()); !better.empty())
    log::warn(
        "OpenBLAS runs its {} kernels, older than this CPU (GEMMs 3-4x slower); unset OPENBLAS_CORETYPE so "
        "hermes picks, or set OPENBLAS_CORETYPE={}",
        blas, better);
  if (!run_dir.empty()) log::info("run directory {}{}", run_dir.string(), deck.run.resuming() ? " (resuming)" : "");
  log::debug("effective deck:\n{}", deck::to_toml(deck));

  maybe_inject_failure(comm);
  if (options.before_stages) on_root_collectively(comm, [&] { options.before_stages(run_dir, deck.run.resuming()); });
  stages::StageContext context{deck, comm, run_dir};
  for (const auto& stage : deck.run.stages) {
    // A stage that has begun finishes (its outputs are written whole or not at all); a stop
    // signal is honoured between stages and, inside pretrain, after every step.
    if (const int sig = dist::agreed_stop_signal(comm)) {
      throw CollectiveExit(fmt::format("stopped by {} before stage {}: every finished stage's outputs are complete; "
                                       "resume with run.resume=true (exit code {})",
                                       stop_signal_name(sig), stage, kExitStopped),
                           kExitStopped);
    }
    const auto stage_start = clock::now();
    log::info("== stage {} ==", stage);
    stages::run_stage(stage, context);
    log::info("== stage {} done in {:.1f} s ==", stage,
              std::chrono::duration<double>(clock::now() - stage_start).count());
  }
  const double seconds = std::chrono::duration<double>(clock::now() - start).count();
  if (!run_dir.empty() && comm.is_root())
    write_file_durably(run_dir / kFinishedMarker, fmt::format("run finished in {:.1f} s\n", seconds));
  log::info("run finished in {:.1f} s{}", seconds, run_dir.empty() ? "" : "; outputs in " + run_dir.string());
  return 0;
}

}  // namespace hermes::app
