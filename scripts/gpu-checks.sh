#!/usr/bin/env bash
# Every GPU check and benchmark of the CUDA backend, in the order that makes the numbers
# meaningful, for one device call on the lent GPU machine (shipped as `checks` in the bundle made
# by scripts/gpu-bundle.sh):
#   1. every GPU test binary (ops against the host ops, whole model, training engine, NCCL);
#   2. the quickstart deck end to end on the GPU (parallel.backend = "cuda") and on the host, and
#      their loss curves side by side;
#   3. the speed comparison: hermes_cuda_bench and torch_gpu.py on GPT-2 small and agentic-50m,
#      then any other hermes_cuda_* benchmark.
# Usage: checks OUTDIR   (on the device machine: checks "$OUT"). Writes OUTDIR/checks.log (all
# output), OUTDIR/results.jsonl (the JSON lines every benchmark prints), OUTDIR/curves.csv (step, host loss,
# cuda loss) and OUTDIR/summary.txt (one line per check: PASS/FAIL/SKIP). Keeps going after a
# failure; exits 1 if anything failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: checks OUTDIR}
mkdir -p "$out"
log=$out/checks.log results=$out/results.jsonl summary=$out/summary.txt
: >"$log"; : >"$results"; : >"$summary"
failed=0
note() { echo "$1 $2" | tee -a "$summary"; [ "$1" = FAIL ] && failed=1; return 0; }
step() { echo "=== $* ===" | tee -a "$log"; }

step "device"
nvidia-smi -L 2>&1 | tee -a "$log"
date -u | tee -a "$log"

# 1. Correctness first: the benchmark numbers mean nothing until these pass.
for t in "$here"/bin/test_cuda_*; do
  name=$(basename "$t")
  step "$name"
  tmp=$(mktemp)
  timeout 900 "$here/run" "$name" --gtest_color=no >"$tmp" 2>&1
  rc=$?
  cat "$tmp" >>"$log"
  passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$tmp" | tail -n 1)
  skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$tmp" | tail -n 1)
  rm -f "$tmp"
  counts="(${passed:-0} passed, ${skipped:-0} skipped)"
  if [ $rc -ne 0 ]; then note FAIL "$name $counts"
  elif [ "${passed:-0}" -eq 0 ]; then note SKIP "$name $counts"
  else note PASS "$name $counts"; fi
done

# 2. The quickstart deck on the GPU and on the host (the same seed and data).
work=$(mktemp -d)
for backend in cuda host; do
  step "quickstart on $backend"
  if (cd "$work" && timeout 900 "$here/run" hermes run --force "parallel.backend=\"$backend\"" \
        "run.output_dir=\"$work/$backend\"") >>"$log" 2>&1; then
    note PASS "quickstart-$backend"
  else
    note FAIL "quickstart-$backend"
  fi
done
h=$work/host/quickstart/metrics.csv g=$work/cuda/quickstart/metrics.csv
if [ -f "$h" ] && [ -f "$g" ]; then
  paste -d, <(cut -d, -f1,2 "$h") <(cut -d, -f2 "$g") | sed '1s/.*/step,host_loss,cuda_loss/' >"$out/curves.csv"
  # The last 10 steps' mean loss within 5% of the host's.
  if awk -F, 'NR>1{n++; h[n]=$2; c[n]=$3} END{for(i=n-9;i<=n;i++){sh+=h[i]; sc+=c[i]} d=(sc-sh)/sh; if(d<0)d=-d;
              printf "last-10 mean loss: host %.4f cuda %.4f (%.1f%%)\n", sh/10, sc/10, 100*d; exit !(d<0.05)}' \
       "$out/curves.csv" | tee -a "$log"; then note PASS quickstart-curves; else note FAIL quickstart-curves; fi
else
  note FAIL quickstart-curves
fi
rm -rf "$work"

# 3. Speed: hermes and the PyTorch reference of the same model, same shapes, same device.
bench() {  # name command...
  local name=$1; shift
  step "$name: $*"
  local lines
  if lines=$(timeout 600 "$@" 2>>"$log" | grep '^{') && [ -n "$lines" ]; then
    echo "$lines" | tee -a "$log" >>"$results"
    note PASS "$name"
  else
    note FAIL "$name"
  fi
}
for spec in "gpt2-small 16 1024" "agentic-50m 64 512"; do
  set -- $spec
  bench "hermes-$1" "$here/run" hermes_cuda_bench --model "$1" --batch "$2" --seq "$3" --graph
  bench "torch-$1" python3 "$here/torch_gpu.py" --model "$1" --batch "$2" --seq "$3"
done
for m in gpt2-small agentic-50m; do
  bench "hermes_cuda_decode-$m" "$here/run" hermes_cuda_decode --model "$m" --batch 8
done
for b in "$here"/bin/hermes_cuda_*; do
  name=$(basename "$b")
  case $name in hermes_cuda_bench | hermes_cuda_decode) continue ;; esac
  bench "$name" "$here/run" "$name"
done

step "summary"
cat "$summary" | tee -a "$log"
exit $failed
