#pragma once
// CUDA-graph capture of a whole training step once shapes are fixed: capture(stream, body) runs
// body() with the stream in thread-local capture mode (so an allocation or a synchronising call on
// this thread inside the step fails loudly instead of silently breaking the graph, while NCCL's own
// threads may poll), instantiates it, and launch() replays it. Step-dependent values must come
// from device memory (see OptimScalars).
#include <functional>

#include "hermes/backend/cuda/common.cuh"
#include "hermes/backend/cuda/handle.hpp"

namespace hermes::backend::cuda {

class Graph {
 public:
  void capture(cudaStream_t stream, const std::function<void()>& body);
  void launch(cudaStream_t stream);
  bool ready() const { return exec_ != nullptr; }
  void reset();

 private:
  // Destroyed in reverse: the executable before the graph it was made from.
  Owned<cudaGraph_t, cudaGraphDestroy> graph_;
  Owned<cudaGraphExec_t, cudaGraphExecDestroy> exec_;
};

}  // namespace hermes::backend::cuda
