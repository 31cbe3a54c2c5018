#!/bin/sh
# Export time and file size of one model in every format and dtype, and the import back.
# usage: benchmarks/export_models.sh HERMES [PRESET] [VOCAB]
# Trains PRESET (default agentic-50m) for one step with its reference vocabulary (default 49152;
# the tokenizer is small, the embedding keeps the full size), then prints one JSON line per
# export: in-process seconds (from hermes's own line) and bytes written.
set -eu
hermes=$1
preset=${2:-agentic-50m}
vocab=${3:-49152}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$hermes" run --force run.name='"bench"' run.stages='["synth", "tokenizer", "prepare", "pretrain"]' \
  data.synth_conversations=300 tokenizer.vocab_size=1024 model.preset="\"$preset\"" \
  model.vocab_size="$vocab" train.max_steps=1 train.batch_size=1 train.seq_len=64 eval.interval=0 \
  eval.tool_eval=false eval.test_at_end=false checkpoint.interval=0 >/dev/null 2>&1
ckpt=runs/bench/checkpoints/final.h5
for spec in hf:fp32 hf:bf16 gguf:f32 gguf:f16 gguf:bf16 gguf:q8_0; do
  format=${spec%%:*}; dtype=${spec#*:}
  out="out_${format}_${dtype}"; [ "$format" = gguf ] && out="$out.gguf"
  line=$("$hermes" export --checkpoint "$ckpt" --format "$format" --dtype "$dtype" --output "$out" 2>&1 | grep "export: ")
  secs=$(echo "$line" | sed -n 's/.* in \([0-9.]*\) s$/\1/p')
  bytes=$(du -sb "$out" | cut -f1)
  echo "{\"bench\": \"export\", \"preset\": \"$preset\", \"vocab\": $vocab, \"format\": \"$format\", \"dtype\": \"$dtype\", \"seconds\": $secs, \"bytes\": $bytes}"
done
start=$(date +%s.%N)
"$hermes" import --from out_hf_fp32 --output imported >/dev/null 2>&1
end=$(date +%s.%N)
echo "{\"bench\": \"import\", \"preset\": \"$preset\", \"vocab\": $vocab, \"format\": \"hf\", \"dtype\": \"fp32\", \"wall_seconds_with_startup\": $(echo "$end - $start" | bc), \"bytes\": $(du -sb imported | cut -f1)}"
