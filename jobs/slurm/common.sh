# Sourced by the job scripts: finds hermes, records provenance, starts the ranks, and turns a
# stop (time limit, scancel, preemption, requeue) into a checkpoint and a requeue.
# Nothing here is site-specific; put module loads in a profile and point HERMES_PROFILE at it
# (see profile.example.sh). Variables a user may set before sbatch:
#   HERMES_BIN       the hermes binary (default: build/hermes in the submission directory)
#   HERMES_PROFILE   a file sourced first (module loads, spack env, fabric settings)
#   HERMES_BACKEND   parallel.backend for the run; default "auto" when the job has GPUs, else the
#                    deck's own setting. GPUs are requested at submission: sbatch
#                    --gpus-per-task=1 (or export SBATCH_GPUS_PER_TASK=1), never by these scripts.
#   HERMES_SRUN_MPI  srun's --mpi plugin (default pmix; see docs/slurm.md)
#   HERMES_SRUN_ARGS more srun options for the ranks, e.g. "--cpu-bind=cores"
set -euo pipefail

# A stop (SIGUSR1 from `#SBATCH --signal=B:USR1@N` or `scancel --signal=USR1 --batch`; SIGTERM
# from scancel, a preemption or `scontrol requeue`) may reach the batch shell at any time, even
# while the profile loads. From here on the shell catches it: before the ranks start it only
# remembers it; while they run it passes it to them as SIGUSR1 (hermes finishes its step, writes
# a checkpoint and exits 75).
HERMES_STOP_REQUESTED=0
HERMES_REQUEUED=0
HERMES_RANKS_PID=""
hermes_stop() {
  HERMES_STOP_REQUESTED=1
  if [[ -n "$HERMES_RANKS_PID" ]]; then
    echo "hermes job: stop requested; passing it to the ranks as SIGUSR1"
    kill -USR1 "$HERMES_RANKS_PID" 2>/dev/null || true
  fi
}
trap hermes_stop USR1 TERM INT
# A SIGTERM also reaches whatever the shell is running (a module load in the profile) and ranks
# still starting up, before hermes catches it: such a job ends with another code than 75 but was
# stopped all the same, so it is requeued too (run.resume=auto takes it from wherever it got).
hermes_on_exit() {
  local status=$?
  if [[ $HERMES_STOP_REQUESTED -eq 1 && $HERMES_REQUEUED -eq 0 && $status -ne 0 ]]; then
    requeue_self "stopped (exit $status) while starting"
  fi
}
trap hermes_on_exit EXIT

HERMES_ROOT=${HERMES_ROOT:-${SLURM_SUBMIT_DIR:-$PWD}}
HERMES_BIN=${HERMES_BIN:-$HERMES_ROOT/build/hermes}
if [[ -n "${HERMES_PROFILE:-}" ]]; then
  # shellcheck disable=SC1090
  source "$HERMES_PROFILE"
fi
[[ -x "$HERMES_BIN" ]] || { echo "hermes binary not found at $HERMES_BIN; build it or set HERMES_BIN" >&2; exit 2; }

# Each rank's threads (Kokkos and BLAS alike) are the CPUs SLURM gave the task.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-${SLURM_CPUS_PER_TASK:-1}}

# Exit code hermes uses after it stopped on SIGUSR1/SIGTERM with its work saved: requeue me.
HERMES_EXIT_REQUEUE=75
# Debian's Open MPI 4.1 is built against PMIx and has no PMI2 support (srun --mpi=pmi2 fails
# in MPI_Init); sites with another MPI set HERMES_SRUN_MPI.
HERMES_SRUN_MPI=${HERMES_SRUN_MPI:-pmix}
if [[ -z "${HERMES_BACKEND:-}" && -n "${SLURM_GPUS_PER_TASK:-}${SLURM_GPUS_ON_NODE:-}${SLURM_GPUS:-}" ]]; then
  HERMES_BACKEND=auto
fi

log_provenance() {
  echo "== hermes job ${SLURM_JOB_ID:-local} (restart ${SLURM_RESTART_COUNT:-0}) on ${SLURM_JOB_NUM_NODES:-1} node(s), ${SLURM_NTASKS:-?} task(s)"
  echo "date:      $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "binary:    $HERMES_BIN"
  echo "version:   $("$HERMES_BIN" --version 2>/dev/null || echo unknown)"
  echo "git:       $(git -C "$HERMES_ROOT" describe --always --dirty 2>/dev/null || echo 'not a git checkout')"
  echo "nodes:     ${SLURM_JOB_NODELIST:-$(hostname)}"
  echo "deck:      $*"
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sort | uniq -c || true
  fi
  env | grep -E '^(SLURM_(NTASKS|NNODES|GPUS|CPUS|RESTART)|OMPI_|NCCL_|CUDA_VISIBLE|OMP_|OPENBLAS_)' | sort || true
}

# The script's defaults for a run, placed before the user's overrides so the user's always win.
default_overrides() {
  [[ -n "${HERMES_BACKEND:-}" ]] && echo "parallel.backend=$HERMES_BACKEND"
  # A requeued job continues its run: from its latest checkpoint, from step 0 if it stopped before
  # the first one, or from scratch if it stopped before hermes even started.
  [[ "${SLURM_RESTART_COUNT:-0}" -gt 0 ]] && echo "run.resume=auto"
  return 0
}

requeue_self() {
  [[ -n "${SLURM_JOB_ID:-}" ]] || return 0
  HERMES_REQUEUED=1
  echo "hermes job: $1; requeueing job $SLURM_JOB_ID"
  # A job that `scontrol requeue` stopped is already on its way back to the queue.
  scontrol requeue "$SLURM_JOB_ID" ||
    echo "hermes job: scontrol requeue refused (already requeued, or requeue is not allowed here)"
}

# Starts one rank per task with srun (in the background, so the shell can take signals), waits
# for them, and requeues the job when hermes exits 75. Ranks signalled directly
# (`--signal=USR1@N`) stop the same way. HERMES_SRUN_ARGS adds srun options (e.g.
# "--cpu-bind=cores"), split at spaces.
launch() {
  local status=0
  if [[ $HERMES_STOP_REQUESTED -eq 1 ]]; then
    requeue_self "a stop came before the ranks started"
    return $HERMES_EXIT_REQUEUE
  fi
  # shellcheck disable=SC2086
  srun --mpi="$HERMES_SRUN_MPI" --kill-on-bad-exit=1 ${HERMES_SRUN_ARGS:-} "$HERMES_BIN" "$@" &
  HERMES_RANKS_PID=$!
  # A stop that came between the check above and now was only remembered: pass it on.
  [[ $HERMES_STOP_REQUESTED -eq 1 ]] && hermes_stop
  while kill -0 "$HERMES_RANKS_PID" 2>/dev/null; do wait "$HERMES_RANKS_PID" || true; done
  wait "$HERMES_RANKS_PID" || status=$?
  HERMES_RANKS_PID=""
  if [[ $status -eq $HERMES_EXIT_REQUEUE ]]; then
    requeue_self "hermes saved its work and exited 75"
  fi
  return $status
}
