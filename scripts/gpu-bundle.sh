#!/usr/bin/env bash
# Build the CUDA binaries here and pack them, with the shared libraries they load, for a GPU
# machine that has the NVIDIA driver and CUDA/cuDNN/NCCL but no MPI, HDF5 or other Debian
# libraries (the lent GPU machine). The archive unpacks to hermes-gpu/ with bin/ (hermes, every
# tests/gpu test binary, every benchmarks/compare/hermes_cuda_*.cpp benchmark), bundle/
# (libraries, Open MPI plugins), torch_gpu.py, `run` (sets the environment and runs a command)
# and `checks` (every GPU check and benchmark of the CUDA backend in order, results under one folder):
#   scripts/gpu-bundle.sh                      # -> .device/hermes-gpu.tar.xz (git-ignored)
#   (on the GPU machine) tar -xJf hermes-gpu.tar.xz -C /tmp && /tmp/hermes-gpu/checks "$OUT"
# BUNDLE_LIBS: the library collector (default /work/shared/tools/bundle-libs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-.device/hermes-gpu.tar.xz}
bundle_libs=${BUNDLE_LIBS:-/work/shared/tools/bundle-libs}
tests=$(for f in tests/gpu/test_*.cpp; do basename "$f" .cpp; done)
benches=$(for f in benchmarks/compare/hermes_cuda_*.cpp; do basename "$f" .cpp; done)
# shellcheck disable=SC2086
scripts/build-cuda.sh --target hermes $tests $benches
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dir=$stage/hermes-gpu
mkdir -p "$dir/bin" "$(dirname "$out")"
cp build-cuda/hermes "$dir/bin/"
for t in $tests; do cp "build-cuda/tests/gpu/$t" "$dir/bin/"; done
for b in $benches; do cp "build-cuda/benchmarks/$b" "$dir/bin/"; done
cp scripts/gpu-checks.sh "$dir/checks"
"$bundle_libs" "$dir"/bin/* "$dir/bundle" >/dev/null
cp benchmarks/compare/torch_gpu.py "$dir/"
cat > "$dir/run" <<'RUN'
#!/usr/bin/env bash
# run CMD ARGS...: CMD from bin/ (or any path) with the bundled libraries and Open MPI set up.
here=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH=$here/bundle/lib:/usr/local/cuda/lib64:/usr/local/cuda/lib:${LD_LIBRARY_PATH:-}
export OPAL_PKGDATADIR=$here/bundle/openmpi/share
export OMPI_MCA_mca_base_component_path=$here/bundle/openmpi/plugins
# No orted on that machine: a process started without mpirun must not try to spawn one.
export OMPI_MCA_ess_singleton_isolated=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
cmd=$1; shift
[ -x "$here/bin/$cmd" ] && cmd=$here/bin/$cmd
# The CUDA, cuBLAS, cuDNN and NCCL libraries come from that machine (they are not bundled). If
# /usr/local/cuda lacks some (cuDNN, NCCL), PyTorch's wheels often carry them: add those folders.
missing() { ldd "$1" 2>/dev/null | awk '/not found/{print $1}'; }
if [ -f "$cmd" ] && [ -n "$(missing "$cmd")" ]; then
  for d in $(python3 -c 'import glob, os, site; print(" ".join(sorted({os.path.dirname(p) for s in site.getsitepackages() for p in glob.glob(s + "/nvidia/*/lib/lib*.so*") + glob.glob(s + "/torch/lib/lib*.so*")})))' 2>/dev/null); do
    LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$d
  done
  export LD_LIBRARY_PATH
  if [ -n "$(missing "$cmd")" ]; then
    echo "run: $cmd needs libraries this machine lacks: $(missing "$cmd" | tr '\n' ' ')" >&2
    echo "run: the binaries were built against CUDA $(cat "$here/CUDA_VERSION"); rebuild here against the machine's CUDA major version or carry the libraries" >&2
    exit 127
  fi
fi
exec "$cmd" "$@"
RUN
/usr/local/cuda/bin/nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p' > "$dir/CUDA_VERSION"
chmod +x "$dir/run" "$dir/checks"
tar -cJf "$out" -C "$stage" hermes-gpu
echo "gpu-bundle: $out ($(du -h "$out" | cut -f1))"
