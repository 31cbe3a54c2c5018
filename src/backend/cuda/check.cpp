#include <fmt/format.h>

#include "hermes/backend/cuda/common.cuh"
#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"

namespace hermes::backend::cuda {

void library_failure(const char* library, long code, const char* message, const char* call, const char* file,
                     int line) {
  throw Error(fmt::format("{} error {} ({}) in {} at {}:{} on rank {}", library, code, message ? message : "?", call,
                          file, line, log::rank()));
}

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();  // clear the sticky "no driver" error
    return 0;
  }
  return n;
}

}  // namespace hermes::backend::cuda
