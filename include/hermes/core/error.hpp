#pragma once
// Errors: every failure a user can cause is a hermes::Error whose message is one line that names
// the file, the place and the fix. Library failures (MPI, HDF5, ...) go through one check macro
// per library that adds file:line and the library's own message.
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace hermes {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, int exit_code = 1)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// A stop every rank reaches together (training diverged, a signal asked to stop): main() prints
// it once and exits with its code, without MPI_Abort. Codes: docs/training.md.
class CollectiveExit : public Error {
 public:
  using Error::Error;
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

// Internal invariant: a bug in hermes, not a user mistake.
#define HERMES_ASSERT(cond)                                                                 \
  do {                                                                                      \
    if (!(cond))                                                                            \
      throw ::hermes::Error(::fmt::format("internal error at {}:{}: {} does not hold",      \
                                          __FILE__, __LINE__, #cond));                      \
  } while (0)

}  // namespace hermes
