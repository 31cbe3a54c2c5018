#pragma once
// One owner per library handle, as buffer.cuh is for memory: CUDA streams, events and graphs,
// cuBLAS and cuBLASLt handles and descriptors, cuDNN handles, NCCL communicators. Owned is a
// move-only unique_ptr whose deleter is the library's destroy call, so a constructor that throws
// halfway releases what it had already created, and no class writes a destructor for them.
// Plain C++: the libraries' headers come with the handle types.
#include <memory>
#include <type_traits>
#include <utility>

namespace hermes::backend::cuda {

template <auto Destroy>
struct Destroyer {
  template <class Handle>
  void operator()(Handle handle) const noexcept {
    (void)Destroy(handle);  // nothing can act on a failed destroy during cleanup
  }
};

// Handle: the library's handle type, a pointer to an opaque struct (cudaStream_t, ncclComm_t, ...).
template <class Handle, auto Destroy>
using Owned = std::unique_ptr<std::remove_pointer_t<Handle>, Destroyer<Destroy>>;

// Calls create(&raw, args...) and hands raw to `owner` when it succeeded (every library's success
// status is 0). Returns the status for the caller's check macro:
//   HERMES_CUBLAS_CHECK(create_into(cublas_, cublasCreate));
template <class T, auto Destroy, class Create, class... Args>
auto create_into(std::unique_ptr<T, Destroyer<Destroy>>& owner, Create create, Args&&... args) {
  T* raw = nullptr;
  const auto status = create(&raw, std::forward<Args>(args)...);
  if (static_cast<int>(status) == 0) owner.reset(raw);
  return status;
}

}  // namespace hermes::backend::cuda
