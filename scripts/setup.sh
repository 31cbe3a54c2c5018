#!/usr/bin/env bash
# One command from a fresh Debian machine to a finished quickstart run:
# installs missing packages, configures and builds (Release), then runs the embedded quickstart
# deck on 2 MPI ranks. Safe to run again (the quickstart run directory is started over).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
scripts/install-deps.sh
cmake --preset default
cmake --build --preset default -j "$(nproc)"
mpirun -n 2 build/hermes run --force
