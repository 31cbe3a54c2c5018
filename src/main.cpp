// hermes: thin entry point. MPI and Kokkos live for the whole process; every error ends here.
#include <Kokkos_Core.hpp>

#include <cstring>
#include <filesystem>
#include <memory>
#include <new>
#include <optional>
#include <string>

#include "hermes/app/cli.hpp"
#include "hermes/app/launch.hpp"
#include "hermes/backend/host/runtime.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"
#include "hermes/core/stop_signal.hpp"
#include "hermes/core/strings.hpp"
#include "hermes/deck/parser.hpp"
#include "hermes/dist/communicator.hpp"

namespace {
// Kokkos answers --help with its own 40-line banner and takes the flag; hermes's help must come
// first. The flag is hidden from Kokkos under a name it ignores and put back afterwards (Kokkos
// may compact argv, so the placeholder is found by value, not by position).
char kHelpPlaceholder[] = "--hermes-help-placeholder";
char kHelp[] = "--help";
void hide_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) argv[i] = kHelpPlaceholder;
}
// An error met by this rank alone: print it with the rank, end every rank with its code. Messages
// quote user text (a deck value, a file line): control characters are escaped to keep one line.
int local_failure(const hermes::dist::Communicator& comm, const std::string& message, int code) {
  hermes::log::error("{}", hermes::printable(message));
  if (comm.size() > 1) comm.abort(code);
  return code;
}

void restore_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (argv[i] == kHelpPlaceholder) argv[i] = kHelp;
}
}  // namespace

int main(int argc, char** argv) {
  // Restarts itself here once when OpenBLAS's kernels or libgomp's waits need setting (runtime.hpp).
  hermes::backend::host::Runtime::restart_for_this_machine(argv);
  // `--num-gpus N` outside mpirun/srun: become `mpiexec -n N hermes ...` before MPI starts.
  if (const int code = hermes::app::start_ranks_if_asked(argc, argv)) return code;
  // Runs and batch generation stop cleanly on SIGTERM/SIGUSR1 from the first instruction on, so
  // a signal during MPI or Kokkos start-up is still a clean stop with exit 75 (they poll the flag
  // between stages, training steps and generation rounds: core/stop_signal.hpp). Every other
  // command keeps the default: SIGTERM ends it at once.
  std::optional<hermes::StopSignalGuard> stop_signals;
  if (argc > 1 &&
      (std::strcmp(argv[1], "run") == 0 || std::strcmp(argv[1], "train") == 0 || std::strcmp(argv[1], "generate") == 0))
    stop_signals.emplace();
  hermes::dist::MpiSession mpi(&argc, &argv);
  const auto comm = hermes::dist::Communicator::world();
  // Kokkos starts with one thread count per rank for its threads and BLAS's (core/threads.hpp).
  std::unique_ptr<hermes::backend::host::Runtime> runtime;
  hide_help(argc, argv);
  try {
    runtime = std::make_unique<hermes::backend::host::Runtime>(argc, argv, comm.local_size());
  } catch (const hermes::Error& e) {
    if (comm.is_root()) std::fprintf(stderr, "hermes: error: %s\n", hermes::printable(e.what()).c_str());
    return e.exit_code();
  }
  restore_help(argc, argv);
  hermes::log::init(comm.rank(), comm.size());
  try {
    return hermes::app::main(argc, argv, comm);
  } catch (const hermes::CollectiveError& e) {
    // Every rank holds the same error (a bad deck, an existing run directory): say it once.
    if (comm.is_root()) std::fprintf(stderr, "hermes: error: %s\n", hermes::printable(e.what()).c_str());
    return e.exit_code();
  } catch (const hermes::CollectiveExit& e) {
    if (comm.is_root()) std::fprintf(stderr, "hermes: %s\n", hermes::printable(e.what()).c_str());
    return e.exit_code();
  } catch (const hermes::Error& e) {
    return local_failure(comm, e.what(), e.exit_code());
  } catch (const std::bad_alloc&) {
    return local_failure(comm, "out of memory; use fewer ranks per node, a smaller batch or a smaller model",
                         hermes::kExitEnvironment);
  } catch (const std::filesystem::filesystem_error& e) {
    return local_failure(comm, e.what(), hermes::kExitEnvironment);
  } catch (const std::exception& e) {
    return local_failure(comm, std::string("unexpected failure (a hermes bug; please report it): ") + e.what(),
                         hermes::kExitInternal);
  }
}
