#include "hermes/backend/cuda/graph.hpp"

#include "hermes/core/error.hpp"

namespace hermes::backend::cuda {

void Graph::reset() {
  exec_.reset();
  graph_.reset();
}

void Graph::capture(cudaStream_t stream, const std::function<void()>& body) {
  if (stream == nullptr)
    fail("internal error: CUDA graphs cannot capture the legacy default stream; pass the context's stream");
  reset();
  // Thread-local: an unsafe call (allocation, synchronous copy) from this thread still fails the
  // capture loudly, while NCCL's proxy thread, which polls its own events during a captured
  // collective, is left alone (global mode would make those calls fail).
  HERMES_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  try {
    body();
  } catch (...) {
    cudaGraph_t broken = nullptr;
    (void)cudaStreamEndCapture(stream, &broken);  // leave the stream usable
    if (broken) cudaGraphDestroy(broken);
    throw;
  }
  cudaGraph_t captured = nullptr;
  HERMES_CUDA_CHECK(cudaStreamEndCapture(stream, &captured));
  graph_.reset(captured);
  cudaGraphExec_t exec = nullptr;
  HERMES_CUDA_CHECK(cudaGraphInstantiate(&exec, graph_.get(), 0));
  exec_.reset(exec);
}

void Graph::launch(cudaStream_t stream) {
  HERMES_ASSERT(exec_ != nullptr);
  HERMES_CUDA_CHECK(cudaGraphLaunch(exec_.get(), stream));
}

}  // namespace hermes::backend::cuda
