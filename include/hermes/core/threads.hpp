#pragma once
// How many threads each rank runs. Kokkos's host execution space and BLAS get the same count, and
// a rank never runs more threads than the CPUs it owns: ranks that share a node split its CPUs,
// and a rank bound to a socket gets that socket's cores. main() decides once, before Kokkos starts.
#include <optional>
#include <string>

namespace hermes::threads {

// The CPUs this process may run on (its affinity mask, as mpirun's or srun's binding sets it) and
// the CPUs online on the node.
struct Cpus {
  int bound = 1;
  int online = 1;
};
Cpus of_this_process();

// A thread count the user chose, and where it came from, e.g. "OMP_NUM_THREADS".
struct Request {
  int threads = 1;
  std::string source;
};
// The user's own choice, in the order Kokkos honours them: its flags (--kokkos-num-threads=N,
// --kokkos-threads=N), then KOKKOS_NUM_THREADS, then OMP_NUM_THREADS (its first entry). A value
// that is not a positive count throws hermes::Error naming the variable or flag.
std::optional<Request> requested(int argc, const char* const* argv);

// OPENBLAS_NUM_THREADS, when set: BLAS alone then runs that many (Kokkos keeps the policy's count).
std::optional<Request> requested_blas();

struct Policy {
  int threads = 1;       // per rank, for Kokkos's host space
  int blas_threads = 1;  // per rank, for BLAS: the same count unless OPENBLAS_NUM_THREADS says
  std::string reason;    // why this count, for the start-up log
  // What Kokkos's host space reports once started (a Serial build runs one thread whatever the
  // count; BLAS still gets it).
  int kokkos_threads = 1;
  std::string kokkos_space = "Serial";
  std::string waits;  // how idle OpenMP threads wait, in an OpenMP build; empty otherwise
};
// "Kokkos OpenMP 2, BLAS 2 (the 2 CPUs bound to this rank; OMP_WAIT_POLICY=passive, set by
// hermes)", for the start-up log.
std::string describe(const Policy& policy);
// The request when there is one; otherwise the CPUs bound to this rank, capped at the node's CPUs
// divided among its ranks (an unbound rank would otherwise take every CPU of a shared node).
Policy choose(const Cpus& cpus, int ranks_on_node, const std::optional<Request>& request,
              const std::optional<Request>& blas_request = std::nullopt);

// The policy main() applied, for the start-up log (one thread until main() sets it).
const Policy& current();
void set_current(const Policy& policy);

}  // namespace hermes::threads
