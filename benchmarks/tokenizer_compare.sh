#!/usr/bin/env bash
# hermes vs HuggingFace tokenizers, side by side, in one run. Prints JSON lines and a summary.
#   benchmarks/tokenizer_compare.sh BUILD_DIR HF_ROOT [WORK_DIR] [encode|train|all]
# HF_ROOT holds node_modules/@anush008/tokenizers (npm install @anush008/tokenizers@0.6.0).
# encode: single thread (taskset to one core, RAYON_NUM_THREADS=1), fresh tokenizer per pass,
#         10 MB prose and 10 MB code/JSON, GPT-2's tokenizer.json (and Llama-3's when
#         tests/fixtures/tokenizer/external/ has it). The id checksums must agree.
# train:  100 MB prose, vocabulary 30000 (what HF's Node binding trains), no special tokens,
#         GPT-2 pattern; HF with 1 and 2 threads, hermes with 1 and 2 MPI ranks; hermes also at
#         32000. Wall and CPU (user+sys, all ranks) time from /usr/bin/time -v; peak RSS from /usr/bin/time -v (HF) and from the
#         hermes log (largest rank). Ranks are not bound to cores (--bind-to none): the machine is
#         shared, and a rank pinned to a busy core waits for it.
set -euo pipefail
BUILD=$(realpath "$1"); HF=$(realpath "$2"); WORK=${3:-/tmp/hermes-tokenizer-bench}; WHAT=${4:-all}
SRC=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$WORK"
gen() { [ -s "$WORK/$2" ] || python3 "$SRC/benchmarks/compare/make_tokenizer_corpus.py" "$1" "$WORK/$2" "$3"; }
export RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

if [ "$WHAT" = encode ] || [ "$WHAT" = all ]; then
  gen prose prose10.txt 10; gen code code10.txt 10
  TOKS=("$SRC/tests/fixtures/tokenizer/gpt2/tokenizer.json")
  [ -f "$SRC/tests/fixtures/tokenizer/external/llama3.tokenizer.json" ] && TOKS+=("$SRC/tests/fixtures/tokenizer/external/llama3.tokenizer.json")
  for TOK in "${TOKS[@]}"; do
    name=$(basename "$(dirname "$TOK")"); [ "$name" = external ] && name=$(basename "$TOK" .tokenizer.json)
    HERMES_BENCH_TOKENIZER=$TOK HERMES_BENCH_PROSE=$WORK/prose10.txt HERMES_BENCH_CODE=$WORK/code10.txt \
      taskset -c 0 "$BUILD/benchmarks/bench_tokenizer" --benchmark_format=json > "$WORK/hermes_$name.json" 2>/dev/null
    taskset -c 0 node "$SRC/benchmarks/compare/hf_tokenizer_bench.js" "$HF" "$TOK" prose="$WORK/prose10.txt" code="$WORK/code10.txt" > "$WORK/hf_$name.jsonl"
    python3 - "$WORK/hermes_$name.json" "$WORK/hf_$name.jsonl" "$name" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))["benchmarks"]
hf = [json.loads(l) for l in open(sys.argv[2])]
for text in ("prose", "code"):
    runs = [b for b in h if b["name"].startswith(f"BM_encode_{text}") and b.get("run_type") == "iteration"]
    cpu = min(b["cpu_time"] for b in runs) / 1e3  # ms -> s
    wall = min(b["real_time"] for b in runs) / 1e3
    bytes_ = runs[0]["bytes"]
    f = next(x for x in hf if x["text"] == text)
    out = {"tokenizer": sys.argv[3], "text": text, "bytes": bytes_,
           "hermes_mb_s_cpu": round(bytes_ / 1e6 / cpu, 2), "hf_mb_s_cpu": round(f["mb_per_s_cpu"], 2),
           "ratio_cpu": round(bytes_ / 1e6 / cpu / f["mb_per_s_cpu"], 2),
           "hermes_mb_s_wall": round(bytes_ / 1e6 / wall, 2), "hf_mb_s_wall": round(f["mb_per_s_wall"], 2),
           "ids_identical": int(runs[0]["checksum"]) == f["checksum"] and int(runs[0]["tokens"]) == f["tokens"]}
    print(json.dumps(out))
PY
  done
fi

if [ "$WHAT" = train ] || [ "$WHAT" = all ]; then
  gen prose prose100.txt 100
  C=$WORK/prose100.txt
  peak() { grep "Maximum resident" "$1" | awk '{print $6}' | sort -n | tail -1; }
  wall() { grep "Elapsed (wall" "$1" | awk '{print $8}' | tail -1; }
  cpu() { awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$1"; }
  for threads in 1 2; do
    RAYON_NUM_THREADS=$threads /usr/bin/time -v node "$SRC/benchmarks/compare/hf_tokenizer_train.js" "$HF" "$C" "$WORK/hf_train.json" > "$WORK/hf_train_$threads.out" 2> "$WORK/hf_train_$threads.time"
    echo "{\"tool\": \"hf\", \"threads\": $threads, \"vocab\": 30000, \"wall\": \"$(wall "$WORK/hf_train_$threads.time")\", \"cpu_s\": $(cpu "$WORK/hf_train_$threads.time"), \"peak_rss_kb\": $(peak "$WORK/hf_train_$threads.time"), \"train\": $(cat "$WORK/hf_train_$threads.out")}"
  done
  for vocab in 30000 32000; do
    for ranks in 1 2; do
      /usr/bin/time -v -o "$WORK/hermes_train_${vocab}_$ranks.time" mpiexec --bind-to none -n $ranks \
        "$BUILD/hermes" train-tokenizer --input "$C" --output "$WORK/hermes_train.json" --vocab-size $vocab --min-frequency 1 \
        'tokenizer.special_tokens=[]' > "$WORK/hermes_train_${vocab}_$ranks.out" 2>&1
      # mpiexec's RSS is its own; take each rank's from the log line hermes prints.
      echo "{\"tool\": \"hermes\", \"ranks\": $ranks, \"vocab\": $vocab, \"wall\": \"$(wall "$WORK/hermes_train_${vocab}_$ranks.time")\", \"cpu_s\": $(cpu "$WORK/hermes_train_${vocab}_$ranks.time"), \"log\": $(grep -E "counting|peak|CPU time" "$WORK/hermes_train_${vocab}_$ranks.out" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().strip()))')}"
    done
  done
fi
