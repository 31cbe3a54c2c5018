#include "hermes/app/launch.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "hermes/core/error.hpp"

namespace hermes::app {
namespace {

// The value of --num-gpus N / --num-gpus=N, 0 when absent or not a number (the command line
// parser reports the latter).
int requested_ranks(int argc, char** argv) {
  std::string_view value;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--num-gpus" && i + 1 < argc)
      value = argv[i + 1];
    else if (a.rfind("--num-gpus=", 0) == 0)
      value = a.substr(11);
  }
  int n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  return ec == std::errc() && end == value.data() + value.size() ? n : 0;
}

// An MPI launcher (mpirun/mpiexec of Open MPI or MPICH, srun with PMI/PMIx) started this process.
bool started_by_launcher() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(name)) return true;
  return false;
}

}  // namespace

int start_ranks_if_asked(int argc, char** argv) {
  const int n = requested_ranks(argc, argv);
  if (n <= 1 || started_by_launcher()) return 0;
  char exe[4096] = {0};
  const ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  std::vector<std::string> words = {"mpiexec", "-n", std::to_string(n), len > 0 ? std::string(exe, len) : argv[0]};
  for (int i = 1; i < argc; ++i) words.emplace_back(argv[i]);
  // More ranks than cores is the user's choice; Open MPI refuses it unless told.
  if (static_cast<unsigned>(n) > std::thread::hardware_concurrency())
    setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 0);
  std::vector<char*> args;
  for (auto& w : words) args.push_back(w.data());
  args.push_back(nullptr);
  std::fprintf(stderr, "hermes: --num-gpus %d: starting %d ranks with mpiexec\n", n, n);
  std::fflush(stderr);
  execvp("mpiexec", args.data());
  std::fprintf(stderr,
               "hermes: error: --num-gpus %d: cannot start mpiexec (%s); install an MPI (Open MPI or MPICH) so "
               "mpiexec is on PATH, or start the ranks yourself: mpirun -n %d hermes ...\n",
               n, std::strerror(errno), n);
  return kExitEnvironment;
}

}  // namespace hermes::app
