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

  // A Kokkos OpenMP build only: libgomp reads OMP_WAIT_POLICY once, when the program loads, and
  // by default its idle threads spin, taking the cores BLAS's own threads need (one rank with 2
  // threads ran 2.6-3.5x slower than with one). Unless the user chose a policy, this sets it to
  // passive (and an unset OMP_PROC_BIND to false: threads float inside the rank's binding) and
  // restarts the program in place (execv of /proc/self/exe, same arguments). Call it first in
  // main(), before MPI starts. Returns at once in other builds, or if execv fails.
  static void restart_with_passive_waits(char** argv);

 private:
  threads::Policy policy_;
  std::string threads_flag_;
  std::vector<char*> argv_;
  std::unique_ptr<Kokkos::ScopeGuard> kokkos_;
};

}  // namespace hermes::backend::host
