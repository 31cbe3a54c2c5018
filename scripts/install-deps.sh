#!/usr/bin/env bash
# Installs the Debian packages hermes builds and tests with, only those that are missing, without
# questions. Safe to run again. Uses sudo when not root.
#   scripts/install-deps.sh          build + run dependencies
#   scripts/install-deps.sh --test   also what the test suite's reference checks need
set -euo pipefail

packages=(
  g++ cmake make pkg-config git
  openmpi-bin libopenmpi-dev libhdf5-openmpi-dev hdf5-tools
  libtrilinos-kokkos-dev libopenblas-dev
  libtomlplusplus-dev libpcre2-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev libicu-dev libedit-dev
)
if [[ "${1:-}" == "--test" ]]; then
  # References the tests compare against (PyTorch, h5py) and the BLAS that makes PyTorch fast.
  # jinja2 renders exported chat templates as HuggingFace does (tests/interop/). SLURM and munge
  # run the one-node cluster the job scripts are tested under (tests/slurm/). clang 14 and its
  # runtime libraries build the sanitizer preset and the libFuzzer harnesses (tests/fuzz/);
  # clang-format 14 checks the sources' layout (.clang-format, test_format).
  packages+=(python3 python3-numpy python3-h5py python3-torch python3-matplotlib libopenblas0-pthread python3-jinja2
             slurmctld slurmd slurm-client munge clang-14 libclang-rt-14-dev clang-format-14)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} Debian packages present"
else
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# llama.cpp for the interop tests: node-llama-cpp ships a prebuilt linux-x64 llama.cpp. It lives
# outside the repository (HERMES_NODE_DIR), installed once per machine; without node or npm the
# interop tests report themselves skipped.
if [[ "${1:-}" == "--test" ]]; then
  node_dir="${HERMES_NODE_DIR:-$HOME/.cache/hermes-interop}"
  if [[ -f "$node_dir/node_modules/node-llama-cpp/dist/index.js" ]]; then
    echo "install-deps: node-llama-cpp present in $node_dir"
  elif command -v npm >/dev/null && command -v node >/dev/null; then
    echo "install-deps: installing node-llama-cpp@3.22.1 into $node_dir"
    mkdir -p "$node_dir"
    npm install --prefix "$node_dir" --no-audit --no-fund --loglevel=error node-llama-cpp@3.22.1 ||
      echo "install-deps: warning: npm could not install node-llama-cpp; the llama.cpp interop test will skip" >&2
  else
    echo "install-deps: node/npm not found; the llama.cpp interop test will skip (install Node.js 20+ to run it)"
  fi
fi
