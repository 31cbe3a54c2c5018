// Shared main for every test binary: MPI (a singleton run without mpiexec), Kokkos, GoogleTest.
// Under mpiexec only rank 0 prints GoogleTest's report, but every rank's failures decide the
// exit code, so a failure on rank 1 fails the test.
#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>

#include "hermes/core/log.hpp"
#include "hermes/dist/communicator.hpp"

int main(int argc, char** argv) {
  hermes::dist::MpiSession mpi(&argc, &argv);
  Kokkos::ScopeGuard kokkos(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  const auto comm = hermes::dist::Communicator::world();
  hermes::log::init(comm.rank(), comm.size(), hermes::log::Level::warn);
  if (comm.rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int failed = RUN_ALL_TESTS();
  failed = comm.any(failed != 0) ? 1 : 0;
  if (failed && comm.rank() != 0)
    std::fprintf(stderr, "[rank %d] tests failed on this rank\n", comm.rank());
  return failed;
}
