#!/usr/bin/env bash
# Two builds of bench_train side by side in one run: each shape runs A, B, A, B, ... so load
# drifts hit both alike. One JSON object per run goes to OUT (with "build": "A" or "B"), and a
# table of mean tokens/s, fraction of the SGEMM rate and peak RSS per rank is printed.
#   benchmarks/train_ab.sh OLD/bench_train NEW/bench_train OUT.jsonl [repeats]
set -euo pipefail
a=$1 b=$2 out=$3 repeats=${4:-3}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../scripts/env.sh"
speedrun="--preset tiny --batch 2 --seq 1024 --steps 20 --optim muon --vocab 1491 --set model.ffn=swiglu
          --set model.ffn_hidden=384 --set model.bias=false --set model.context_length=1024"
shapes=(
  "speedrun|$speedrun"
  "tiny-256|--preset tiny --batch 8 --seq 256 --steps 20"
  "nano-128|--preset nano --batch 16 --seq 128 --steps 40"
  "agentic-50m-512|--preset agentic-50m --batch 2 --seq 512 --steps 4 --optim muon --vocab 4096"
)
: >"$out"
for entry in "${shapes[@]}"; do
  name=${entry%%|*} args=${entry#*|}
  for ((i = 0; i < repeats; i++)); do
    for build in A B; do
      bin=$a; [[ $build == B ]] && bin=$b
      # shellcheck disable=SC2086  # args is a list of words
      line=$(mpirun -n 2 "$bin" $args 2>/dev/null | tail -1)
      echo "{\"shape\": \"$name\", \"build\": \"$build\", ${line#\{}" >>"$out"
    done
  done
done
/usr/bin/python3 - "$out" <<'PY'
import json, sys, statistics as st
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"{'shape':<18}{'A tok/s':>10}{'B tok/s':>10}{'B/A':>7}{'A sgemm%':>10}{'B sgemm%':>10}{'A RSS MiB':>11}{'B RSS MiB':>11}")
for shape in dict.fromkeys(r["shape"] for r in rows):
    m = {b: [r for r in rows if r["shape"] == shape and r["build"] == b] for b in "AB"}
    tok = {b: st.mean(r["tokens_per_s"] for r in m[b]) for b in "AB"}
    frac = {b: 100 * st.mean(r["fraction_of_sgemm"] for r in m[b]) for b in "AB"}
    rss = {b: max(r["peak_rss_bytes_per_rank"] for r in m[b]) / 2**20 for b in "AB"}
    print(f"{shape:<18}{tok['A']:>10.0f}{tok['B']:>10.0f}{tok['B'] / tok['A']:>7.2f}{frac['A']:>10.1f}{frac['B']:>10.1f}{rss['A']:>11.0f}{rss['B']:>11.0f}")
PY
