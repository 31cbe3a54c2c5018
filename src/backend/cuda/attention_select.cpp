#include <cstdlib>
#include <string>

#include "hermes/backend/cuda/attention.cuh"
#include "hermes/backend/cuda/attention_cudnn.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"

namespace hermes::backend::cuda {

const char* to_string(AttentionImpl impl) {
  return impl == AttentionImpl::cudnn_fused ? "cudnn-fused" : "cublas-softmax";
}

namespace {
// HERMES_CUDA_ATTENTION: unset, "auto" or "cudnn" (try cuDNN), "cublas" (force the fallback).
bool env_allows_cudnn() {
  const char* v = std::getenv("HERMES_CUDA_ATTENTION");
  if (v == nullptr || *v == '\0') return true;
  const std::string s(v);
  if (s == "auto" || s == "cudnn") return true;
  if (s == "cublas") return false;
  fail("HERMES_CUDA_ATTENTION = \"{}\" is not one of auto, cudnn, cublas; unset it or pick one", s);
}
}  // namespace

AttentionImpl choose_attention(bool want_cudnn, Context& ctx, Index B, Index T_len, Index H, Index KVH, Index D,
                               std::unique_ptr<CudnnAttention>& plans) {
  plans.reset();
  const AttentionImpl fallback = AttentionImpl::cublas_softmax;
  if (!want_cudnn) {
    log::info("attention: {} (cuDNN fused attention not requested)", to_string(fallback));
    return fallback;
  }
  if (!env_allows_cudnn()) {
    log::info("attention: {} (forced by HERMES_CUDA_ATTENTION=cublas)", to_string(fallback));
    return fallback;
  }
  try {
    plans = std::make_unique<CudnnAttention>(ctx, B, T_len, H, KVH, D);
  } catch (const Error& e) {
    plans.reset();
    std::string why = e.what();  // one log line, whatever cuDNN's message holds
    for (char& ch : why)
      if (ch == '\n' || ch == '\r') ch = ' ';
    log::info(
        "attention: {} (cuDNN {} refused the fused flash-attention plans for B={} T={} heads={}/{} "
        "head_dim={}: {})",
        to_string(fallback), cudnnGetVersion(), B, T_len, H, KVH, D, why);
    return fallback;
  }
  log::info("attention: {} (cuDNN {} fused flash attention, B={} T={} heads={}/{} head_dim={}; {})",
            to_string(AttentionImpl::cudnn_fused), cudnnGetVersion(), B, T_len, H, KVH, D, plans->summary());
  return AttentionImpl::cudnn_fused;
}

}  // namespace hermes::backend::cuda
