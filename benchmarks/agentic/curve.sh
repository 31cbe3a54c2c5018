#!/usr/bin/env bash
# The exact-argument curve of a finished agentic speedrun: evaluates every periodic checkpoint the
# run kept and writes, in the run folder,
#   curve/step_<N>.json   the evaluate stage's tool_eval.json for checkpoint N
#   curve/final.json      the run's own evaluation of its final checkpoint (every set, the agent)
#   curve.csv             step, seconds since the run started, and the rates
#   curve.png             exact arguments (and the agent rate, where measured) against wall time
# Seconds come from the run's own log (the timestamp of each step's log line). The periodic points
# run the turn-by-turn evaluation on the held-out set only (about 20 s each on 2 cores); extra
# overrides after the rank count change that, e.g. eval.paraphrased=true eval.agent_eval=true.
# The run's own tool_eval.json and agent transcripts are left as they were.
#   benchmarks/agentic/curve.sh build/hermes inputs/agentic_speedrun.toml runs/agentic_speedrun [ranks [overrides]]
set -euo pipefail
hermes=$1 deck=$2 run_dir=$3 ranks=${4:-2}
shift $(($# < 4 ? $# : 4))
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../scripts/env.sh"
mkdir -p "$run_dir/curve"
[[ -f $run_dir/curve/final.json || ! -f $run_dir/tool_eval.json ]] || cp "$run_dir/tool_eval.json" "$run_dir/curve/final.json"
keep=()
for f in tool_eval.json agent_eval.jsonl agent_eval_paraphrased.jsonl; do
  [[ -f $run_dir/$f ]] && cp "$run_dir/$f" "$run_dir/curve/.$f.kept" && keep+=("$f")
done
for ckpt in "$run_dir"/checkpoints/step_*.h5; do
  [[ -f $ckpt ]] || continue
  step=$(basename "$ckpt" .h5)
  out="$run_dir/curve/$step.json"
  [[ -f $out ]] && continue
  # The evaluation runs in the run folder itself, wherever the deck would put a new run.
  mpirun -n "$ranks" "$hermes" run "$deck" 'run.stages=["evaluate"]' run.resume=true generate.checkpoint="$ckpt" \
    run.output_dir="\"$(dirname "$run_dir")\"" run.name="\"$(basename "$run_dir")\"" \
    eval.test_at_end=false eval.batches=1 eval.agent_eval=false eval.paraphrased=false "$@" >"$run_dir/curve/$step.log" 2>&1
  cp "$run_dir/tool_eval.json" "$out"
done
for f in "${keep[@]}"; do mv "$run_dir/curve/.$f.kept" "$run_dir/$f"; done
/usr/bin/python3 "$here/curve.py" "$run_dir"
