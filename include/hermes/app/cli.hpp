#pragma once
#include "hermes/dist/communicator.hpp"

namespace hermes::app {

// Parses the command line and runs the chosen subcommand. Returns the exit code; errors are
// thrown as hermes::Error (rank-local) or CollectiveError (every rank).
int main(int argc, char** argv, const dist::Communicator& comm);

}  // namespace hermes::app
