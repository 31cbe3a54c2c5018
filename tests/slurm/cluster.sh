#!/usr/bin/env bash
# A real one-node SLURM cluster on this machine, for the tests and for trying the job scripts:
# munged, slurmctld and slurmd from Debian's packages (slurm-wlm 22.05, munge), with every file
# (key, config, state, logs, pid files; the munge socket goes to /tmp) under one directory, so
# nothing in /etc is touched and a second cluster can run beside a site's own.
#
#   tests/slurm/cluster.sh start DIR   writes DIR/slurm.conf and a munge key, starts the daemons,
#                                      waits until the node is idle; prints `export SLURM_CONF=...`
#   tests/slurm/cluster.sh stop DIR    stops the daemons it started (by their pid files)
#
# Exit 77 (with a line that starts "SKIPPED:") where a cluster cannot start here: not root, or
# the packages are missing (scripts/install-deps.sh --test installs them).
set -euo pipefail
shopt -s extglob

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
# A Unix socket path must stay under 108 bytes; a build tree's may not, so munge's is in /tmp.
socket="/tmp/hermes-munge-$(cksum <<<"$dir" | cut -d' ' -f1).socket"
# PMIx's per-step folders (spmix_appdir_<uid>_<job>.<step>, client sockets inside) go to a folder
# of this cluster's own, emptied at every start: a fresh cluster numbers its jobs from 1 again,
# and a folder left by an earlier cluster's killed step 1.0 in /tmp makes the new step 1.0 fail
# to launch ("task 0 launch failed: Unspecified error", slurmd.log: "File exists").
pmix_tmp="/tmp/hermes-pmix-$(cksum <<<"$dir" | cut -d' ' -f1)"

stop_daemon() {
  local pidfile=$1 pid
  [[ -s "$pidfile" ]] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

stop_cluster() {
  # Jobs first, so no slurmstepd outlives its slurmd.
  if [[ -f "$dir/slurm.conf" ]]; then
    SLURM_CONF="$dir/slurm.conf" scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
  fi
  stop_daemon "$dir/slurmd.pid"
  stop_daemon "$dir/slurmctld.pid"
  stop_daemon "$dir/munged.pid"
  rm -f "$socket"
  rm -rf "$pmix_tmp"
}

if [[ $action == stop ]]; then
  stop_cluster
  echo "cluster in $dir stopped"
  exit 0
fi
[[ $action == start ]] || usage

# A stale slurm.conf would make the tests look for a cluster that is not there.
skip() { rm -f "$dir/slurm.conf"; echo "SKIPPED: $*"; exit 77; }
[[ ${HERMES_SKIP_SLURM:-0} != 1 ]] || skip "HERMES_SKIP_SLURM=1"
[[ $(id -u) -eq 0 ]] || skip "a SLURM test cluster needs root (slurmd runs jobs as their users)"
for tool in munged slurmctld slurmd sinfo sbatch srun scontrol; do
  command -v "$tool" >/dev/null ||
    skip "$tool not found; install slurm-wlm, slurmctld, slurmd and munge (scripts/install-deps.sh --test)"
done

stop_cluster  # a cluster left over from an interrupted test in the same directory
rm -rf "$dir/state" "$dir/spool"
mkdir -p "$dir/state" "$dir/spool" "$dir/munge" "$pmix_tmp"
chmod 700 "$dir/munge"

# munge: a fresh key, its own socket; slurm finds the socket through AuthInfo below.
head -c 1024 /dev/urandom > "$dir/munge/munge.key"
chmod 400 "$dir/munge/munge.key"
munged --force --key-file="$dir/munge/munge.key" --socket="$socket" \
  --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/seed"

host=$(hostname -s)
# The node's real shape (CPUs, sockets, cores, memory) as slurmd sees it, minus what it adds.
node_line=$(slurmd -C | head -1)
node_line=${node_line/NodeName=*([^ ])/NodeName=$host}
user=$(id -un)
# Ports from the private range, distinct per directory, so two clusters do not collide.
base=$((20000 + $(cksum <<<"$dir" | cut -d' ' -f1) % 20000))

cat > "$dir/slurm.conf" <<EOF
# One-node test cluster written by tests/slurm/cluster.sh.
ClusterName=hermes-test
SlurmctldHost=$host
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SlurmUser=$user
SlurmdUser=root
# cred_expire also sets how long a requeued job waits before it may start again (default 120 s).
AuthType=auth/munge
AuthInfo=socket=$socket,cred_expire=5
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
# No cgroups needed: processes are tracked by parent, tasks are not confined.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
JobRequeue=1
# Seconds between SIGTERM and SIGKILL when a job is cancelled or reaches its limit.
KillWait=10
MinJobAge=600
ReturnToService=2
SchedulerParameters=sched_interval=2
$node_line State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF

# slurmd reads mpi.conf from slurm.conf's folder.
echo "PMIxCliTmpDirBase=$pmix_tmp" > "$dir/mpi.conf"

export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"

for _ in $(seq 1 120); do
  state=$(sinfo --noheader --nodes="$host" --format=%t 2>/dev/null | head -1 || true)
  [[ $state == idle ]] && break
  sleep 0.5
done
if [[ $state != idle ]]; then
  echo "cluster.sh: node $host did not become idle (state '${state:-none}'); logs: $dir/slurmctld.log, $dir/slurmd.log" >&2
  tail -5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
  stop_cluster
  exit 1
fi
echo "export SLURM_CONF=$SLURM_CONF"
