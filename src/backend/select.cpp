#include "hermes/backend/select.hpp"

#include "hermes/core/error.hpp"

#if defined(HERMES_HAVE_CUDA)
#include "hermes/backend/cuda/common.cuh"
#endif

namespace hermes::backend {

bool built_with_cuda() {
#if defined(HERMES_HAVE_CUDA)
  return true;
#else
  return false;
#endif
}

int visible_gpus() {
#if defined(HERMES_HAVE_CUDA)
  return cuda::device_count();
#else
  return 0;
#endif
}

const char* to_string(Kind kind) { return kind == Kind::cuda ? "cuda" : "host"; }

Kind resolve(const std::string& requested) {
  if (requested == "host") return Kind::host;
  if (requested == "auto") return built_with_cuda() && visible_gpus() > 0 ? Kind::cuda : Kind::host;
  if (requested == "cuda") {
    if (!built_with_cuda())
      fail(
          "parallel.backend = \"cuda\" but this hermes was built without CUDA: rebuild with the cuda preset "
          "(scripts/build-cuda.sh) or set parallel.backend = \"host\" (or \"auto\")");
    if (visible_gpus() == 0)
      fail(
          "parallel.backend = \"cuda\" but no CUDA GPU is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES), "
          "or set parallel.backend = \"host\" (or \"auto\")");
    return Kind::cuda;
  }
  fail("parallel.backend = \"{}\" is not a backend: use host, cuda or auto", requested);
}

}  // namespace hermes::backend
