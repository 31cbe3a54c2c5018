#!/usr/bin/env bash
# The whole test suite from a fresh Debian machine: installs missing packages (test references
# included, and node-llama-cpp for the interop tests), builds, and runs every ctest test (labels:
# unit, mpi, regression, interop; gpu tests exist only in the CUDA build). Where nvcc is installed
# it also compiles the CUDA build, so the CUDA backend never stops compiling
# (HERMES_SKIP_CUDA_BUILD=1 skips that). Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
scripts/install-deps.sh --test
cmake --preset default
cmake --build --preset default -j "$(nproc)"
if [[ "${HERMES_SKIP_CUDA_BUILD:-0}" != 1 && -x "${CUDACXX:-/usr/local/cuda/bin/nvcc}" ]]; then
  echo "test.sh: compiling the CUDA build (nothing runs without a GPU)"
  scripts/build-cuda.sh
fi
# Last, so the suite's summary closes the output.
ctest --preset default -j "$(nproc)" "$@"
