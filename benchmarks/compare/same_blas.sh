# Sourced by the comparison scripts: PyTorch's OpenBLAS runs the kernels hermes runs. hermes picks
# them itself when OpenBLAS does not know the CPU (docs/training.md); PyTorch would otherwise run
# OpenBLAS's fallback and lose for a reason that is not the code compared.
#   source benchmarks/compare/same_blas.sh path/to/hermes
if [[ -z ${OPENBLAS_CORETYPE:-} ]]; then
  same_blas_kernels=$("$1" info 2>/dev/null | sed -n 's/.*BLAS OpenBLAS [^ ]* with \([A-Za-z0-9_]*\) kernels.*/\1/p')
  if [[ -n $same_blas_kernels ]]; then export OPENBLAS_CORETYPE=$same_blas_kernels; fi
fi
