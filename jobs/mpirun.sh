#!/usr/bin/env bash
# mpirun for hermes outside SLURM, with a stop that never loses work:
#   jobs/mpirun.sh -n 4 build/hermes run inputs/my.toml
# Open MPI's mpirun (4.1) treats SIGTERM as an abort: it passes SIGTERM to the ranks, kills them
# with SIGKILL one second later (odls_base_sigkill_timeout) and exits 1 whatever the ranks
# returned; it refuses to forward SIGTERM as an ordinary signal (ess_base_forward_signals). It
# does forward SIGUSR1 and return the ranks' exit code. So this wrapper starts mpirun in a session
# of its own (a Ctrl-C or a signal to the whole process group reaches only the wrapper) and turns
# SIGTERM, SIGINT, SIGHUP and SIGUSR1 into one SIGUSR1 for mpirun: the ranks finish their step,
# write a checkpoint and exit 75, and the wrapper exits 75 too. A SIGTERM sent to mpirun itself
# (not to this wrapper) is still Open MPI's abort: exit 1, and only one second to checkpoint.
# Arguments go to mpirun unchanged; MPIRUN names another launcher (mpiexec, a full path).
set -uo pipefail
setsid "${MPIRUN:-mpirun}" "$@" &
pid=$!
stop() { kill -USR1 "$pid" 2>/dev/null || true; }
trap stop TERM INT HUP USR1
while kill -0 "$pid" 2>/dev/null; do wait "$pid"; done
wait "$pid"
