#!/usr/bin/env bash
# Ranks against threads on one node: the speedrun's training shape (and the quickstart's tiny one)
# with the node's cores as 2 ranks x 1 thread, 1 rank x 2 threads and 1 rank x 1 thread, each
# layout in turn per repeat so load drifts hit all alike. hermes chooses the threads itself
# (docs/training.md, "Threads inside a rank"); the 1-rank layouts run unbound so the rank may use
# both cores. One JSON object per run goes to OUT with "layout"; a table of mean tokens/s follows.
#   benchmarks/threads.sh BUILD/bench_train OUT.jsonl [repeats]
# On a Kokkos OpenMP build, "1x2 spinning" repeats 1 rank x 2 threads with OMP_WAIT_POLICY=active,
# the libgomp behaviour hermes replaces with passive waits when the variable is unset.
set -euo pipefail
bench=$1 out=$2 repeats=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../scripts/env.sh"
# name|batch per rank with 2 ranks|the rest
speedrun="--preset tiny --seq 1024 --steps 20 --optim muon --vocab 1491 --set model.ffn=swiglu
          --set model.ffn_hidden=384 --set model.bias=false --set model.context_length=1024"
shapes=("speedrun|2|$speedrun" "tiny-256|8|--preset tiny --seq 256 --steps 20")
layouts=("2x1" "1x2" "1x1")
if [[ $(ldd "$bench") == *libgomp* ]]; then layouts+=("1x2 spinning"); fi
: >"$out"
for entry in "${shapes[@]}"; do
  name=${entry%%|*} rest=${entry#*|}
  batch=${rest%%|*} args=${rest#*|}
  for ((i = 0; i < repeats; i++)); do
    for layout in "${layouts[@]}"; do
      # The global batch stays the same: one rank takes both ranks' sequences.
      one="--batch $((2 * batch))"
      # shellcheck disable=SC2086  # args is a list of words
      case $layout in
        2x1) line=$(env -u OMP_NUM_THREADS mpirun -n 2 "$bench" --batch "$batch" $args 2>/dev/null | tail -1) ;;
        1x2) line=$(env -u OMP_NUM_THREADS mpirun -n 1 --bind-to none "$bench" $one $args 2>/dev/null | tail -1) ;;
        1x1) line=$(OMP_NUM_THREADS=1 mpirun -n 1 -x OMP_NUM_THREADS "$bench" $one $args 2>/dev/null | tail -1) ;;
        "1x2 spinning") line=$(env -u OMP_NUM_THREADS OMP_WAIT_POLICY=active mpirun -n 1 --bind-to none -x OMP_WAIT_POLICY "$bench" $one $args 2>/dev/null | tail -1) ;;
      esac
      [[ $line == \{* ]] || { echo "bench_train failed: $name $layout" >&2; exit 1; }
      echo "{\"shape\": \"$name\", \"layout\": \"$layout\", ${line#\{}" >>"$out"
    done
  done
done
/usr/bin/python3 - "$out" <<'PY'
import json, sys, statistics as st
rows = [json.loads(l) for l in open(sys.argv[1])]
layouts = list(dict.fromkeys(r["layout"] for r in rows))
print(f"{'shape':<12}" + "".join(f"{l + ' tok/s':>20}" for l in layouts))
for shape in dict.fromkeys(r["shape"] for r in rows):
    tok = {l: st.mean(r["tokens_per_s"] for r in rows if r["shape"] == shape and r["layout"] == l) for l in layouts}
    print(f"{shape:<12}" + "".join(f"{tok[l]:>20.0f}" for l in layouts))
PY
