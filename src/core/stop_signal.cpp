#include "hermes/core/stop_signal.hpp"

namespace hermes {

namespace {
volatile std::sig_atomic_t g_stop_signal = 0;
extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }
}  // namespace

StopSignalGuard::StopSignalGuard() {
  // The outermost guard starts with a clear flag; it is cleared before the handler goes in, so a
  // signal arriving in between is kept.
  struct sigaction current {};
  sigaction(SIGTERM, nullptr, &current);
  if (current.sa_handler != on_stop_signal) g_stop_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sa.sa_flags = SA_RESTART;  // a checkpoint being written when a second signal comes is not interrupted
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, &old_term_);
  sigaction(SIGUSR1, &sa, &old_usr1_);
}

StopSignalGuard::~StopSignalGuard() {
  sigaction(SIGTERM, &old_term_, nullptr);
  sigaction(SIGUSR1, &old_usr1_, nullptr);
}

int stop_signal() { return g_stop_signal; }

const char* stop_signal_name(int sig) {
  switch (sig) {
    case SIGTERM: return "SIGTERM";
    case SIGUSR1: return "SIGUSR1";
    default: return "a signal";
  }
}

}  // namespace hermes
