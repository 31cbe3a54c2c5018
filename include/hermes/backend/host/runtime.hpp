#pragma once
// Kokkos for the whole process, started with the thread policy applied (core/threads.hpp): the
// chosen count goes to Kokkos as its thread flag and to BLAS, so Kokkos's threads and BLAS's
// never outnumber the CPUs a rank owns. One per process, in main() or a benchmark's main().
#include <Kokkos_Core.hpp>

#include <memory>
#include <string>
#include <vector>

#include "hermes/core/threads.hpp"

namespace hermes::backend::host {

class Runtime {
 public:
  // argc/argv: the command line; on return they point at it without Kokkos's flags (the strings
  // live as long as the Runtime). Throws hermes::Error for a thread count that is not a count.
  Runtime(int& argc, char**& argv, int ranks_on_node);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  const threads::Policy& policy() const { return policy_; }

  // Settings read once, when the program loads, that hermes chooses unless the user did; when one
  // needs changing, it is set and the program restarts in place (execv of its own binary, same
  // arguments, so it keeps its name), once. Call it first in main(), before MPI starts. Returns
  // when nothing needs changing, or if execv fails.
  //  - OPENBLAS_CORETYPE, when OpenBLAS chose kernels without AVX2 on a CPU that has it (an
  //    OpenBLAS older than the CPU; blas_kernels.hpp): the CPU's own kernel set.
  //  - A Kokkos OpenMP build: libgomp's idle threads spin by default, taking the cores BLAS's own
  //    threads need (one rank with 2 threads ran 2.6-3.5x slower than with one); OMP_WAIT_POLICY
  //    becomes passive (and an unset OMP_PROC_BIND false: threads float inside the rank's binding).
  static void restart_for_this_machine(char** argv);

 private:
  threads::Policy policy_;
  std::string threads_flag_;
  std::vector<char*> argv_;
  std::unique_ptr<Kokkos::ScopeGuard> kokkos_;
};

}  // namespace hermes::backend::host
