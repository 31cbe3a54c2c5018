#!/usr/bin/env bash
# PyTorch on the agentic speedrun: trains torch_speedrun.py (hermes's recipe: same model, init
# distributions, batches in the same order, Muon, schedule) on the shards of a finished hermes
# run, then scores every model it wrote with hermes's own evaluate stage, as
# benchmarks/agentic/curve.sh does for hermes's checkpoints. Writes, in RUN_DIR/torch,
#   train.log, metrics.csv     torch's training log (step, seconds, loss, tokens/s)
#   hf/<name>/                 the HuggingFace directories it wrote (minute_05 ... minute_30, or final)
#   import/<name>/             each one turned into a hermes checkpoint by `hermes import`
#   eval/<name>.json, .log     the evaluate stage's tool_eval.json and log for it
#   curve.csv                  minutes of torch training, step, val loss and the tool-call rates
# The evaluation uses the deck's [eval] settings (the held-out and paraphrased sets, the agent
# loop); overrides after the rank count change them, e.g. eval.agent_eval=false. Options for
# torch_speedrun.py go in TORCH_ARGS (default: its 30 minutes, 2 threads, 2 emulated ranks).
# The run's own tool_eval.json and agent transcripts are left as they were. Steps already done
# (training, an import, an evaluation) are not repeated when the script is run again.
#   benchmarks/compare/speedrun_vs_torch.sh build/hermes inputs/agentic_speedrun.toml runs/agentic_speedrun [ranks [overrides]]
set -euo pipefail
hermes=$1 deck=$2 run_dir=$3 ranks=${4:-2}
shift $(($# < 4 ? $# : 4))
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../scripts/env.sh"
source "$here/same_blas.sh" "$hermes"
python=${PYTHON:-/usr/bin/python3}
out=$run_dir/torch
mkdir -p "$out/import" "$out/eval"

if [[ ! -f $out/trained ]]; then
  # shellcheck disable=SC2086  # TORCH_ARGS is a list of options
  "$python" "$here/torch_speedrun.py" --run-dir "$run_dir" --deck "$deck" --out "$out" ${TORCH_ARGS:-} 2>&1 | tee "$out/train.log"
  touch "$out/trained"
fi

keep=()
# The run's own evaluation outputs come back afterwards; those it did not have are removed.
restore() {
  for f in tool_eval.json agent_eval.jsonl agent_eval_paraphrased.jsonl; do
    if [[ " ${keep[*]} " == *" $f "* ]]; then mv "$out/.$f.kept" "$run_dir/$f"; else rm -f "$run_dir/$f"; fi
  done
  keep=()
}
trap restore EXIT
for f in tool_eval.json agent_eval.jsonl agent_eval_paraphrased.jsonl; do
  [[ -f $run_dir/$f ]] && cp "$run_dir/$f" "$out/.$f.kept" && keep+=("$f")
done
for hf in "$out"/hf/*/; do
  name=$(basename "$hf")
  [[ -f $hf/model.safetensors && ! -f $out/eval/$name.json ]] || continue
  [[ -f $out/import/$name/checkpoint.h5 ]] || "$hermes" import --from "$hf" --output "$out/import/$name" >"$out/eval/$name.log" 2>&1
  # The evaluation runs in the run folder itself (its data, tokenizer and deck), on the imported weights.
  rm -f "$run_dir/tool_eval.json"
  mpirun -n "$ranks" "$hermes" run "$deck" 'run.stages=["evaluate"]' run.resume=true \
    generate.checkpoint="$out/import/$name/checkpoint.h5" eval.tool_eval=true \
    run.output_dir="\"$(dirname "$run_dir")\"" run.name="\"$(basename "$run_dir")\"" "$@" >>"$out/eval/$name.log" 2>&1
  cp "$run_dir/tool_eval.json" "$out/eval/$name.json"
done
restore
trap - EXIT

"$python" - "$out" "$here/../agentic" <<'EOF'
import csv, glob, json, os, re, sys
sys.path.insert(0, sys.argv[2])
from tool_eval_rates import curve_columns

out = sys.argv[1]
rows = []
for path in glob.glob(os.path.join(out, "eval", "*.json")):
    name = os.path.basename(path)[:-5]
    state = json.load(open(os.path.join(out, "hf", name, "torch_state.json")))
    val = re.findall(r"val +loss ([0-9.]+)", open(os.path.join(out, "eval", name + ".log"), errors="replace").read())
    row = {"model": name, "minutes": round(state["seconds"] / 60, 2), "step": state["step"],
           "tokens": state["tokens"], "val_loss": val[-1] if val else ""}
    j = json.load(open(path))
    row.update(curve_columns(j))
    rows.append(row)
rows.sort(key=lambda r: (r["step"], r["minutes"]))
if rows:
    with open(os.path.join(out, "curve.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    print(open(os.path.join(out, "curve.csv")).read(), end="")
EOF
