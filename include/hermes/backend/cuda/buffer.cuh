#pragma once
// One owner for CUDA memory: a move-only buffer on the device or pinned on the host, freed exactly
// once, also when a constructor throws after it was allocated (a member is destroyed then; a raw
// pointer would leak).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "hermes/backend/cuda/common.cuh"

namespace hermes::backend::cuda {

enum class Memory { device, pinned };  // pinned: host memory asynchronous copies overlap with

template <class T, Memory M>
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(std::size_t count) { allocate(count); }
  // Replaces the contents with `count` uninitialised elements (at least one byte is allocated).
  void allocate(std::size_t count) {
    void* raw = nullptr;
    const std::size_t bytes = std::max<std::size_t>(count, 1) * sizeof(T);
    if constexpr (M == Memory::device)
      HERMES_CUDA_CHECK(cudaMalloc(&raw, bytes));
    else
      HERMES_CUDA_CHECK(cudaMallocHost(&raw, bytes));
    ptr_.reset(static_cast<T*>(raw));
    n_ = count;
  }
  T* data() const { return ptr_.get(); }
  std::size_t size() const { return n_; }
  std::size_t bytes() const { return n_ * sizeof(T); }

 private:
  struct Free {
    void operator()(T* p) const noexcept {
      if constexpr (M == Memory::device)
        cudaFree(p);
      else
        cudaFreeHost(p);
    }
  };
  std::unique_ptr<T, Free> ptr_;
  std::size_t n_ = 0;
};

template <class T>
using DeviceBuffer = Buffer<T, Memory::device>;
template <class T>
using PinnedBuffer = Buffer<T, Memory::pinned>;

// Untyped device blocks owned together (a model's or decoder's arenas): alloc<T>(n) hands out a
// typed view of a new block that lives as long as the owner.
class DeviceBlocks {
 public:
  template <class T>
  T* alloc(std::int64_t n, std::size_t& bytes) {
    blocks_.emplace_back(static_cast<std::size_t>(std::max<std::int64_t>(n, 1)) * sizeof(T));
    bytes += blocks_.back().bytes();
    return reinterpret_cast<T*>(blocks_.back().data());
  }

 private:
  std::vector<DeviceBuffer<std::byte>> blocks_;
};

}  // namespace hermes::backend::cuda
