#!/usr/bin/env bash
# The whole test suite from a fresh Debian machine: installs missing packages (test references
# included, and node-llama-cpp for the interop tests), builds, and runs every ctest test (labels:
# unit, mpi, regression, interop; gpu tests exist only in the CUDA build). Where nvcc is installed
# it also compiles the CUDA build, so the CUDA backend never stops compiling
# (HERMES_SKIP_CUDA_BUILD=1 skips that). Then the sanitizer build (the asan preset: clang,
# AddressSanitizer + UBSan + LeakSanitizer) runs the fast labels (unit, mpi) and fuzzes every
# reader of user files for HERMES_FUZZ_SECONDS each (label fuzz); HERMES_SKIP_SANITIZERS=1 skips
# it. Extra arguments go to the main ctest run.
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
if [[ "${HERMES_SKIP_SANITIZERS:-0}" != 1 ]]; then
  echo "test.sh: the sanitizer build (ASan + UBSan + LSan) and the fuzz harnesses"
  cmake --preset asan -DHERMES_FUZZ_SECONDS="${HERMES_FUZZ_SECONDS:-30}"
  cmake --build --preset asan -j "$(nproc)"
  ctest --preset asan -j "$(nproc)" -L "^(unit|mpi|fuzz)$"
fi
# Last, so the suite's summary closes the output.
ctest --preset default -j "$(nproc)" "$@"
