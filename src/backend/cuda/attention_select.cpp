#include "hermes/backend/cuda/attention.cuh"
#include "hermes/core/log.hpp"

namespace hermes::backend::cuda {

const char* to_string(AttentionImpl impl) {
  return impl == AttentionImpl::cudnn_fused ? "cudnn-fused" : "cublas-softmax";
}

AttentionImpl choose_attention(bool want_cudnn) {
  const AttentionImpl impl = AttentionImpl::cublas_softmax;
  if (want_cudnn)
    log::info("attention: {} (cuDNN {} found, but hermes does not build its fused SDPA graph yet; using batched "
              "cuBLAS GEMMs and a fused causal softmax)",
              to_string(impl), cudnnGetVersion());
  else
    log::info("attention: {} (batched cuBLAS GEMMs and a fused causal softmax)", to_string(impl));
  return impl;
}

}  // namespace hermes::backend::cuda
