#pragma once
// The stop signal (core/stop_signal.hpp) as every rank agrees on it. A signal reaches the ranks
// at slightly different times: they take the largest any rank has seen, so all stop together and
// the message rank 0 prints names it even when rank 0's own handler has not run yet. Collective.
#include "hermes/core/stop_signal.hpp"
#include "hermes/dist/communicator.hpp"

namespace hermes::dist {

// 0 when no rank has received a stop signal.
inline int agreed_stop_signal(const Communicator& comm) {
  return static_cast<int>(comm.allreduce_max(static_cast<double>(stop_signal())));
}

}  // namespace hermes::dist
