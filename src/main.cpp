// hermes: thin entry point. MPI and Kokkos live for the whole process; every error ends here.
#include <Kokkos_Core.hpp>

#include "hermes/app/cli.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"
#include "hermes/deck/parser.hpp"
#include "hermes/dist/communicator.hpp"

int main(int argc, char** argv) {
  hermes::dist::MpiSession mpi(&argc, &argv);
  Kokkos::ScopeGuard kokkos(argc, argv);
  const auto comm = hermes::dist::Communicator::world();
  hermes::log::init(comm.rank(), comm.size());
  try {
    return hermes::app::main(argc, argv, comm);
  } catch (const hermes::deck::CollectiveError& e) {
    // Every rank holds the same error (a bad deck, an existing run directory): say it once.
    if (comm.is_root()) std::fprintf(stderr, "hermes: error: %s\n", e.what());
    return 2;
  } catch (const hermes::CollectiveExit& e) {
    if (comm.is_root()) std::fprintf(stderr, "hermes: %s\n", e.what());
    return e.exit_code();
  } catch (const hermes::Error& e) {
    hermes::log::error("{}", e.what());
    if (comm.size() > 1) comm.abort(e.exit_code());
    return e.exit_code();
  } catch (const std::exception& e) {
    hermes::log::error("unexpected failure: {}", e.what());
    if (comm.size() > 1) comm.abort(3);
    return 3;
  }
}
