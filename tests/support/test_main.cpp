// Shared main for every test binary: MPI (a singleton run without mpiexec), Kokkos, GoogleTest.
// Under mpiexec rank 0 prints GoogleTest's report and the others only their failures; every
// rank's failures decide the exit code, so a failure on rank 1 fails the test.
#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>

#include "hermes/backend/host/runtime.hpp"
#include "hermes/core/log.hpp"
#include "hermes/dist/communicator.hpp"

int main(int argc, char** argv) {
  // OpenBLAS's kernels for this CPU (runtime.hpp), so tests run at the speed hermes does.
  hermes::backend::host::Runtime::restart_for_this_machine(argv);
  hermes::dist::MpiSession mpi(&argc, &argv);
  Kokkos::ScopeGuard kokkos(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  const auto comm = hermes::dist::Communicator::world();
  hermes::log::init(comm.rank(), comm.size(), hermes::log::Level::warn);
  // Other ranks print only their failures.
  if (comm.rank() != 0) GTEST_FLAG_SET(brief, true);
  int failed = RUN_ALL_TESTS();
  failed = comm.any(failed != 0) ? 1 : 0;
  if (failed && comm.rank() != 0) std::fprintf(stderr, "[rank %d] tests failed on this rank\n", comm.rank());
  return failed;
}
