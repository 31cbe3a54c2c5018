// Proof that the sanitizer build still reports hermes's own leaks: MPI starts and stops as in
// every hermes program (its allocations are suppressed), then this program leaks on purpose.
// ctest expects LeakSanitizer's report naming leak_on_purpose and nothing from the MPI stack.
#include <cstdio>

#include "hermes/dist/communicator.hpp"

namespace {
__attribute__((noinline)) int* leak_on_purpose() { return new int[64]; }
}  // namespace

int main(int argc, char** argv) {
  {
    hermes::dist::MpiSession mpi(&argc, &argv);
    static int* volatile kept = nullptr;
    kept = leak_on_purpose();
    kept = nullptr;  // the only pointer is gone: a definite leak
  }
  std::puts("leak_check: leaked 256 bytes on purpose");
  return 0;
}
