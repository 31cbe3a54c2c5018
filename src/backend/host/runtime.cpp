#include "hermes/backend/host/runtime.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "hermes/backend/host/blas_kernels.hpp"
#include "hermes/backend/host/common.hpp"

namespace hermes::backend::host {
namespace {
// Kokkos's flag for its host thread count was renamed in 3.7.
#if KOKKOS_VERSION >= 30700
constexpr const char* kKokkosThreadsFlag = "--kokkos-num-threads=";
#else
constexpr const char* kKokkosThreadsFlag = "--kokkos-threads=";
#endif
// Set in the restarted program, so the log can say who chose the wait policy.
constexpr const char* kPassiveMarker = "HERMES_SET_OMP_WAIT_POLICY";
}  // namespace

void Runtime::restart_for_this_machine(char** argv) {
  std::vector<const char*> set;  // what this restart sets, undone if execv fails
  const auto set_env = [&](const char* name, const std::string& value) {
    ::setenv(name, value.c_str(), 1);
    set.push_back(name);
  };
  if (std::getenv("OPENBLAS_CORETYPE") == nullptr && std::getenv(kBlasRestartMarker) == nullptr) {
    const std::string chosen = blas_kernels();
    const std::string better = better_blas_kernels(chosen, cpu_features());
    if (!better.empty()) {
      set_env("OPENBLAS_CORETYPE", better);
      set_env(kBlasRestartMarker, chosen);
    }
  }
#if defined(KOKKOS_ENABLE_OPENMP)
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
    set_env("OMP_WAIT_POLICY", "passive");
    set_env(kPassiveMarker, "1");
    // Threads stay free inside the rank's CPUs, which mpirun's or srun's binding sets. Said
    // explicitly, it also spares every rank Kokkos's warning that OMP_PROC_BIND is unset.
    if (std::getenv("OMP_PROC_BIND") == nullptr) set_env("OMP_PROC_BIND", "false");
  }
#endif
  if (set.empty()) return;
  // The binary by its own path, so the restarted process keeps its name ("hermes", not "exe")
  // for ps, top and pkill; /proc/self/exe itself when the link cannot be read.
  std::error_code ec;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  ::execv(ec || !std::filesystem::exists(self) ? "/proc/self/exe" : self.c_str(), argv);
  // Still here: no restart. Undo, so the log does not claim settings the libraries never read.
  for (const char* name : set) ::unsetenv(name);
}

Runtime::Runtime(int& argc, char**& argv, int ranks_on_node) {
  const auto request = threads::requested(argc, argv);
  policy_ = threads::choose(threads::of_this_process(), ranks_on_node, request, threads::requested_blas());
  // Kokkos sees the user's command line plus the chosen count, unless the user gave one.
  argv_.assign(argv, argv + argc);
  if (!request) {
    threads_flag_ = kKokkosThreadsFlag + std::to_string(policy_.threads);
    argv_.push_back(threads_flag_.data());
  }
  int kokkos_argc = static_cast<int>(argv_.size());
  argv_.push_back(nullptr);
  kokkos_ = std::make_unique<Kokkos::ScopeGuard>(kokkos_argc, argv_.data());
  // Kokkos removes the flags it knows; the added one is taken out in case this version kept it.
  argv_.resize(static_cast<std::size_t>(kokkos_argc));
  if (!threads_flag_.empty()) std::erase(argv_, threads_flag_.data());
  argc = static_cast<int>(argv_.size());
  argv_.push_back(nullptr);
  argv = argv_.data();

  set_blas_threads(policy_.blas_threads);
  policy_.kokkos_threads = Kokkos::DefaultHostExecutionSpace().concurrency();
  policy_.kokkos_space = Kokkos::DefaultHostExecutionSpace::name();
#if defined(KOKKOS_ENABLE_OPENMP)
  if (const char* wait = std::getenv("OMP_WAIT_POLICY"))
    policy_.waits = std::string("OMP_WAIT_POLICY=") + wait + (std::getenv(kPassiveMarker) ? ", set by hermes" : "");
  else
    policy_.waits = "OMP_WAIT_POLICY unset: idle threads spin";
#endif
  threads::set_current(policy_);
}

Runtime::~Runtime() = default;

}  // namespace hermes::backend::host
