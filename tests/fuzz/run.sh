#!/usr/bin/env bash
# run.sh HARNESS SEEDS WORK SECONDS: fuzzes for SECONDS, growing WORK/corpus from SEEDS.
# Inputs may be as long as the longest seed. Exit 0 when nothing was found; otherwise libFuzzer's report, the saved input and exit 1.
set -uo pipefail
harness=$1 seeds=$2 work=$3 seconds=$4
mkdir -p "$work/corpus" "$work/findings"
# -timeout: one input taking this long counts as a hang; -rss_limit_mb: as a memory blow-up.
# -seed=1: the same mutations on every run, so CI is reproducible; the grown corpus still varies.
"$harness" -seed=1 -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
  -artifact_prefix="$work/findings/" -print_final_stats=1 "$work/corpus" "$seeds" 2>"$work/log.txt"
rc=$?
tail -n 12 "$work/log.txt"
if [[ $rc -ne 0 ]]; then
  grep -E "ERROR|runtime error|terminate called|SUMMARY" "$work/log.txt" | head -n 20
  echo "fuzz: $(basename "$harness") found a failing input (exit $rc); saved:"
  ls -1 "$work/findings/"* 2>/dev/null
  echo "reproduce: $harness <saved input>"
  exit 1
fi
echo "fuzz: $(basename "$harness") found nothing in ${seconds} s"
