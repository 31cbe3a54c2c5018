#pragma once
// CUDA-graph capture of a whole training step once shapes are fixed: capture(stream, body) runs
// body() with the stream in thread-local capture mode (so an allocation or a synchronising call on
// this thread inside the step fails loudly instead of silently breaking the graph, while NCCL's own
// threads may poll), instantiates it, and launch() replays it. Step-dependent values must come
// from device memory (see OptimScalars).
#include <functional>

#include "hermes/backend/cuda/common.cuh"

namespace hermes::backend::cuda {

class Graph {
 public:
  Graph() = default;
  ~Graph();
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  void capture(cudaStream_t stream, const std::function<void()>& body);
  void launch(cudaStream_t stream);
  bool ready() const { return exec_ != nullptr; }
  void reset();

 private:
  cudaGraph_t graph_ = nullptr;
  cudaGraphExec_t exec_ = nullptr;
};

}  // namespace hermes::backend::cuda
