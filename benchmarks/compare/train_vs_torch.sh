#!/usr/bin/env bash
# hermes (2 ranks) against PyTorch (2 threads) on the same model, global batch and sequence length.
# usage: benchmarks/compare/train_vs_torch.sh [build-dir]   (prints JSON lines, then a table)
set -euo pipefail
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/same_blas.sh" "$BUILD/hermes"
MPI=(mpiexec -n 2)
[ "$(id -u)" = 0 ] && MPI+=(--allow-run-as-root)
run() {  # preset batch_per_rank seq steps
  local h t
  h=$("${MPI[@]}" --oversubscribe "$BUILD/benchmarks/bench_train" --preset "$1" --batch "$2" --seq "$3" --steps "$4" | tail -1)
  t=$(/usr/bin/python3 "$HERE/torch_train.py" --preset "$1" --batch $(( $2 * 2 )) --seq "$3" --steps "$4" --threads 2 | tail -1)
  echo "$h"
  echo "$t"
  /usr/bin/python3 -c "import json,sys; h=json.loads(sys.argv[1]); t=json.loads(sys.argv[2]); print(f\"{h['preset']:>12}: hermes {h['tokens_per_s']:9.0f} tok/s | pytorch {t['tokens_per_s']:9.0f} tok/s | ratio {h['tokens_per_s']/t['tokens_per_s']:.2f}x | per CPU-second {h['tokens_per_cpu_s']:.0f} vs {t['tokens_per_cpu_s']:.0f} ({h['tokens_per_cpu_s']/t['tokens_per_cpu_s']:.2f}x) | {h['gflops_per_s']:.1f} GFLOP/s = {100*h['fraction_of_sgemm']:.0f}% of SGEMM ({h['sgemm_gflops_per_rank']:.1f}/rank) | peak RSS {h['peak_rss_bytes_per_rank']/2**20:.0f} MiB, arenas {h['allocated_bytes_per_rank']/2**20:.0f} MiB, info {h['info_estimate_bytes']/2**20:.0f} MiB\")" "$h" "$t"
}
run tiny 8 256 10
run agentic-50m 4 256 5
