# Sourced by the job scripts: finds hermes, records provenance, sets the rank environment.
# Nothing here is site-specific; put module loads in a profile and point HERMES_PROFILE at it
# (see profile.example.sh).
set -euo pipefail

HERMES_ROOT=${HERMES_ROOT:-${SLURM_SUBMIT_DIR:-$PWD}}
HERMES_BIN=${HERMES_BIN:-$HERMES_ROOT/build/hermes}
if [[ -n "${HERMES_PROFILE:-}" ]]; then
  # shellcheck disable=SC1090
  source "$HERMES_PROFILE"
fi
[[ -x "$HERMES_BIN" ]] || { echo "hermes binary not found at $HERMES_BIN; build it or set HERMES_BIN" >&2; exit 2; }

# One BLAS thread per rank on CPU runs; GPU runs ignore it.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-${SLURM_CPUS_PER_TASK:-1}}

# Exit code hermes uses after it checkpointed on SIGUSR1/SIGTERM: the job asks to be requeued.
HERMES_EXIT_REQUEUE=75

log_provenance() {
  echo "== hermes job ${SLURM_JOB_ID:-local} on ${SLURM_JOB_NUM_NODES:-1} node(s), ${SLURM_NTASKS:-?} task(s)"
  echo "date:      $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "binary:    $HERMES_BIN"
  echo "version:   $("$HERMES_BIN" --version 2>/dev/null || echo unknown)"
  echo "git:       $(git -C "$HERMES_ROOT" describe --always --dirty 2>/dev/null || echo 'not a git checkout')"
  echo "nodes:     ${SLURM_JOB_NODELIST:-$(hostname)}"
  echo "deck:      $*"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sort | uniq -c
  env | grep -E '^(SLURM_(NTASKS|NNODES|GPUS|CPUS)|OMPI_|NCCL_|CUDA_VISIBLE|OMP_|OPENBLAS_)' | sort
}

# srun starts one rank per task and binds each to its GPU; hermes maps node-local rank -> GPU.
launch() {
  local status=0
  srun --kill-on-bad-exit=1 --cpu-bind=cores "$HERMES_BIN" "$@" || status=$?
  if [[ $status -eq $HERMES_EXIT_REQUEUE && -n "${SLURM_JOB_ID:-}" ]]; then
    echo "hermes checkpointed before the time limit; requeueing job $SLURM_JOB_ID"
    scontrol requeue "$SLURM_JOB_ID"
  fi
  return $status
}
