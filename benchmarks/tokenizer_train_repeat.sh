#!/usr/bin/env bash
# Tokenizer training, repeated, side by side: HF tokenizers (1 thread, its binding's 30000
# vocabulary) and each given hermes binary on 1 and 2 MPI ranks (vocab 32000, min_frequency 1,
# no special tokens, GPT-2 pattern), REPS rounds in turn, so that every tool sees the same load.
# One JSON line per run: wall, user and sys CPU (all ranks), max RSS (/usr/bin/time -v; for
# mpiexec, its largest rank), load average, and the hermes log lines (phases, CPU of the busiest rank).
#   benchmarks/tokenizer_train_repeat.sh HF_ROOT CORPUS REPS NAME=HERMES_BIN [NAME=HERMES_BIN...]
# CORPUS: e.g. benchmarks/compare/make_tokenizer_corpus.py prose prose100.txt 100
set -u
HF=$(realpath "$1"); C=$(realpath "$2"); REPS=$3; shift 3
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d)
export RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
field() { grep "$2" "$1" | head -1 | awk -F': ' '{print $2}'; }
emit() {  # tool ranks timefile logfile
  echo "{\"tool\":\"$1\",\"ranks\":$2,\"rep\":$rep,\"load\":\"$(cut -d' ' -f1 /proc/loadavg)\",\"wall\":\"$(field "$3" 'Elapsed (wall')\",\"user\":$(field "$3" 'User time'),\"sys\":$(field "$3" 'System time'),\"maxrss_kb\":$(field "$3" 'Maximum resident'),\"log\":$(grep -hE 'counting|train_seconds|CPU time' "$4" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().strip()))')}"
}
for rep in $(seq 1 "$REPS"); do
  /usr/bin/time -v -o "$W/hf.time" node "$SRC/benchmarks/compare/hf_tokenizer_train.js" "$HF" "$C" "$W/hf.json" > "$W/hf.out" 2>&1
  emit hf 1 "$W/hf.time" "$W/hf.out"
  for spec in "$@"; do
    name=${spec%%=*}; bin=${spec#*=}
    for r in 1 2; do
      /usr/bin/time -v -o "$W/h.time" mpiexec --bind-to none -n $r "$bin" train-tokenizer --input "$C" \
        --output "$W/${name}_$r.json" --vocab-size 32000 --min-frequency 1 'tokenizer.special_tokens=[]' > "$W/h.out" 2>&1
      emit "hermes-$name" $r "$W/h.time" "$W/h.out"
    done
  done
done
# Every hermes run must have written the same file.
echo "{\"identical_outputs\": $([ "$(md5sum "$W"/*_[12].json | awk '{print $1}' | sort -u | wc -l)" = 1 ] && echo true || echo false)}"
rm -rf "$W"
