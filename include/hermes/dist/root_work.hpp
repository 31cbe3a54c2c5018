#pragma once
// Work that only rank 0 does (a check of a file, a write), with its outcome shared: a failure on
// rank 0 becomes the same error on every rank instead of a rank that fails while the others wait.
#include <functional>

#include "hermes/dist/communicator.hpp"

namespace hermes::dist {

// Runs `work` on rank 0; when it throws hermes::Error (or a filesystem error), every rank throws a
// CollectiveError with its message and exit code. Collective over `comm`.
void on_root_collectively(const Communicator& comm, const std::function<void()>& work);

}  // namespace hermes::dist
