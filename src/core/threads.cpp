#include "hermes/core/threads.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

#include "hermes/core/error.hpp"

namespace hermes::threads {
namespace {

int positive_count(std::string_view text, const std::string& source) {
  int value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value < 1)
    fail(
        "{}={} is not a thread count; give a whole number of at least 1, or leave it unset for one "
        "thread per CPU this rank owns",
        source, text);
  return value;
}

// A count from the environment variable `name`, if it is set and not empty. With `list`, the
// value may be OpenMP's list of counts, one per nesting level; the outer level is the rank's.
std::optional<Request> from_env(const char* name, bool list = false) {
  const char* value = std::getenv(name);
  if (!value || !*value) return std::nullopt;
  const std::string_view text = value;
  return Request{positive_count(list ? text.substr(0, text.find(',')) : text, name), name};
}

Policy& current_policy() {
  static Policy policy = [] {
    Policy p;
    p.reason = "not yet chosen";
    return p;
  }();
  return policy;
}

}  // namespace

Cpus of_this_process() {
  Cpus cpus;
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  cpus.online = online > 0 ? static_cast<int>(online) : 1;
  cpu_set_t mask;
  CPU_ZERO(&mask);
  cpus.bound = sched_getaffinity(0, sizeof(mask), &mask) == 0 ? std::max(1, CPU_COUNT(&mask)) : cpus.online;
  return cpus;
}

std::optional<Request> requested(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    for (const std::string_view flag : {"--kokkos-num-threads=", "--kokkos-threads="}) {
      const std::string_view arg = argv[i];
      if (arg.starts_with(flag)) {
        const std::string source(flag.substr(0, flag.size() - 1));
        return Request{positive_count(arg.substr(flag.size()), source), source};
      }
    }
  }
  if (auto kokkos = from_env("KOKKOS_NUM_THREADS")) return kokkos;
  return from_env("OMP_NUM_THREADS", /*list=*/true);
}

std::optional<Request> requested_blas() { return from_env("OPENBLAS_NUM_THREADS"); }

Policy choose(const Cpus& cpus, int ranks_on_node, const std::optional<Request>& request,
              const std::optional<Request>& blas_request) {
  Policy policy;
  const int ranks = std::max(1, ranks_on_node);
  const int share = std::max(1, cpus.online / ranks);
  if (request) {
    policy.threads = request->threads;
    policy.reason = fmt::format("set by {}", request->source);
  } else if (cpus.bound <= share) {
    policy.threads = cpus.bound;
    policy.reason = fmt::format("the {} CPU{} bound to this rank", cpus.bound, cpus.bound == 1 ? "" : "s");
  } else {
    policy.threads = share;
    policy.reason =
        fmt::format("{} online CPUs shared by {} rank{} on this node", cpus.online, ranks, ranks == 1 ? "" : "s");
  }
  policy.blas_threads = policy.threads;
  if (blas_request) {
    policy.blas_threads = blas_request->threads;
    policy.reason += fmt::format("; BLAS set by {}", blas_request->source);
  }
  return policy;
}

std::string describe(const Policy& policy) {
  return fmt::format("Kokkos {} {}, BLAS {} ({}{}{})", policy.kokkos_space, policy.kokkos_threads, policy.blas_threads,
                     policy.reason, policy.waits.empty() ? "" : "; ", policy.waits);
}

const Policy& current() { return current_policy(); }
void set_current(const Policy& policy) { current_policy() = policy; }

}  // namespace hermes::threads
