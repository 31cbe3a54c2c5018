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
  libgtest-dev libgmock-dev libbenchmark-dev libicu-dev
)
if [[ "${1:-}" == "--test" ]]; then
  # References the tests compare against (PyTorch, h5py) and the BLAS that makes PyTorch fast.
  packages+=(python3 python3-numpy python3-h5py python3-torch python3-matplotlib libopenblas0-pthread)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} Debian packages present"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
