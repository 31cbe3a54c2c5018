#pragma once
// Stopping a run cleanly: SIGTERM (scancel, a preemption, a requeue, a time limit) and SIGUSR1
// (`#SBATCH --signal=USR1@N`, `scancel --signal=USR1`) only raise a flag. A run polls it at safe
// points (before each stage, after each training step), agrees across ranks on whether and which
// signal arrived, writes a checkpoint if it trained, and exits with kExitStopped so the job script
// requeues it. Nothing is ever half-written, because nothing is written from the handler.
#include <csignal>

namespace hermes {

// The exit code of a run stopped by a signal after saving what it had: "requeue me".
inline constexpr int kExitStopped = 75;

// Installs the flag-raising handlers for SIGTERM and SIGUSR1 for its lifetime and restores the
// previous ones after. Nested guards share one flag; only the outermost clears it, so a signal
// caught during start-up is still seen by the training loop.
class StopSignalGuard {
 public:
  StopSignalGuard();
  ~StopSignalGuard();
  StopSignalGuard(const StopSignalGuard&) = delete;
  StopSignalGuard& operator=(const StopSignalGuard&) = delete;

 private:
  struct sigaction old_term_ {
  }, old_usr1_{};
};

// 0, or the last stop signal this process received.
int stop_signal();

// "SIGTERM", "SIGUSR1", or "a signal".
const char* stop_signal_name(int sig);

}  // namespace hermes
