#!/bin/sh
# Prepare throughput with the real tokenizer on 1 and 2 ranks (MB of input per second per rank).
# usage: benchmarks/data_prepare_scaling.sh HERMES TOKENIZER_JSON [CONVERSATIONS] [RANKS...]
# Prints one JSON line per rank count. Uses the synthetic agentic corpus as input.
set -eu
hermes=$1
tokenizer=$2
count=${3:-20000}
shift 2; [ $# -gt 0 ] && shift
ranks=${*:-"1 2"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$hermes" synth --output "$work/corpus.jsonl" --count "$count" >/dev/null
bytes=$(wc -c <"$work/corpus.jsonl")
for n in $ranks; do
  cat >"$work/deck$n.toml" <<DECK
[run]
name = "prep$n"
stages = ["prepare"]
output_dir = "$work/runs"
[tokenizer]
path = "$tokenizer"
[data]
inputs = ["$work/corpus.jsonl"]
format = "sharegpt"
loss_mask = "assistant"
DECK
  start=$(date +%s.%N)
  line=$(mpiexec -n "$n" "$hermes" run "$work/deck$n.toml" --force 2>&1 | grep "MB/s per rank")
  end=$(date +%s.%N)
  rate=$(echo "$line" | sed -n 's/.*(\([0-9.]*\) MB\/s per rank.*/\1/p')
  echo "{\"bench\": \"prepare\", \"encoder\": \"bpe\", \"ranks\": $n, \"input_bytes\": $bytes, \"mb_per_s_per_rank\": $rate, \"wall_seconds_with_startup\": $(echo "$end - $start" | bc)}"
done
