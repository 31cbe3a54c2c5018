#pragma once
// `--num-gpus N` (the seeds' flag) without an MPI launcher around hermes: hermes starts the N
// ranks itself by replacing this process with the system's `mpiexec -n N <hermes> <same args>`,
// before MPI starts. Each rank then takes one GPU on a GPU node (local rank modulo the visible
// GPUs), or its share of the cores on a CPU node (core/threads.hpp). Under mpirun or srun nothing
// is started: the command line checks N against the world size instead (cli.cpp).

namespace hermes::app {

// Returns when there is nothing to start (no --num-gpus, N = 1, or a launcher already started
// this process); otherwise does not return, or returns the exit code of a failed start after
// printing one line.
int start_ranks_if_asked(int argc, char** argv);

}  // namespace hermes::app
