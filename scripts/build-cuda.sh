#!/usr/bin/env bash
# Configure and build the `cuda` preset (HERMES_ENABLE_CUDA=ON: sm_90 and sm_80, nvcc, cuBLASLt,
# cuDNN, NCCL from /usr/local/cuda) into build-cuda/. Nothing runs here: this proves the CUDA
# backend, its GPU tests (label gpu) and hermes_cuda_bench compile. Extra arguments go to
# `cmake --build` (e.g. `--target hermes`).
#   scripts/build-cuda.sh              # everything
#   HERMES_CUDA_ARCHS=90 scripts/build-cuda.sh --target hermes   # one architecture, faster
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -f scripts/env.sh ] && source scripts/env.sh
nvcc=${CUDACXX:-/usr/local/cuda/bin/nvcc}
if [ ! -x "$nvcc" ]; then
  echo "build-cuda: no nvcc at $nvcc (install the CUDA toolkit or set CUDACXX)" >&2
  exit 2
fi
args=()
[ -n "${HERMES_CUDA_ARCHS:-}" ] && args+=("-DCMAKE_CUDA_ARCHITECTURES=${HERMES_CUDA_ARCHS}")
start=$(date +%s)
cmake --preset cuda "${args[@]}"
cmake --build --preset cuda -j "$(nproc)" "$@"
echo "build-cuda: built in $(( $(date +%s) - start )) s"
