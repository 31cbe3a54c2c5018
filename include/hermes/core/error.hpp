#pragma once
// Errors: every failure a user can cause is a hermes::Error whose message is one line that names
// the file, the place and the fix. Library failures (MPI, HDF5, ...) go through one check macro
// per library that adds file:line and the library's own message.
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace hermes {

// Exit codes (the table in docs/deck.md): the cause decides the code, whichever command or rank
// meets it, so a job script can tell "fix the input" from "retry elsewhere".
inline constexpr int kExitEnvironment = 1;  // inputs fine, the machine not: disk full, unwritable
                                            // folder, out of memory, MPI or device failure
inline constexpr int kExitBadInput = 2;     // the deck, the command line or a file they name is wrong
inline constexpr int kExitInternal = 3;     // a bug in hermes
// 4 (training diverged) and 75 (stopped by a signal, work saved): train/trainer.hpp and
// core/stop_signal.hpp.

// A failure that ends hermes with a code from the table above.
class CodedError : public std::runtime_error {
 public:
  CodedError(const std::string& message, int exit_code) : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// A failure met by one rank (or by every rank, each on its own): main() prints it with the rank
// and aborts the others.
class Error : public CodedError {
 public:
  explicit Error(const std::string& message, int exit_code = kExitBadInput) : CodedError(message, exit_code) {}
};

// A stop every rank reaches together (training diverged, a signal asked to stop): main() prints
// it once and exits with its code, without MPI_Abort. Codes: docs/training.md.
class CollectiveExit : public Error {
 public:
  using Error::Error;
};

// An error every rank raises together (a bad deck, a file only rank 0 reads): printed once by
// rank 0, exit without abort. Not an Error, so a handler for one rank's errors does not take it.
class CollectiveError : public CodedError {
 public:
  explicit CollectiveError(const std::string& message, int exit_code = kExitBadInput)
      : CodedError(message, exit_code) {}
};

// An input is wrong (exit 2): the message names the file, the place and the fix.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

// The machine failed hermes (exit 1): writing, syncing or renaming an output, memory.
template <typename... Args>
[[noreturn]] void fail_environment(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...), kExitEnvironment);
}

// Internal invariant: a bug in hermes, not a user mistake.
#define HERMES_ASSERT(cond)                                                                                        \
  do {                                                                                                             \
    if (!(cond))                                                                                                   \
      throw ::hermes::Error(::fmt::format("internal error at {}:{}: {} does not hold", __FILE__, __LINE__, #cond), \
                            ::hermes::kExitInternal);                                                              \
  } while (0)

}  // namespace hermes
