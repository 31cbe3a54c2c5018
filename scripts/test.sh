#!/usr/bin/env bash
# The whole test suite from a fresh Debian machine: installs missing packages (test references
# included), builds, and runs every ctest test (labels: unit, mpi, regression).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
scripts/install-deps.sh --test
cmake --preset default
cmake --build --preset default -j "$(nproc)"
ctest --preset default -j "$(nproc)" "$@"
