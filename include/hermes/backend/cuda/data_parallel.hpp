#pragma once
// NCCL data parallelism, one rank per GPU. MPI only bootstraps it: the node-local rank picks the
// GPU, rank 0 creates the NCCL unique id and broadcasts it through dist::Communicator.
// Collectives run on their own stream: each call makes that stream wait (event) for the work
// already queued on the compute stream, so a gradient bucket is reduced while backward keeps
// computing the buckets before it; wait() makes the compute stream wait for everything issued,
// with events, never a device-wide sync. CPU builds keep the MPI path (Communicator).
#include <vector>

#include "hermes/backend/cuda/common.cuh"
#include "hermes/backend/cuda/handle.hpp"
#include "hermes/dist/buckets.hpp"
#include "hermes/dist/communicator.hpp"

namespace hermes::backend::cuda {

// local_rank % device count, made current. Fails (hermes::Error) with no device; warns when more
// ranks than GPUs share a node.
int select_device(const dist::Communicator& comm);

class NcclComm {
 public:
  NcclComm(const dist::Communicator& comm, int device);

  ncclComm_t handle() const { return comm_.get(); }
  cudaStream_t stream() const { return stream_.get(); }
  int rank() const { return rank_; }
  int size() const { return size_; }

  // Sum over ranks, in place, after the compute stream's queued work.
  void all_reduce(float* data, Index count, cudaStream_t compute);
  // ZeRO-1: recv (recv_count) = this rank's shard of the sum of send (recv_count * size).
  void reduce_scatter(const float* send, float* recv, Index recv_count, cudaStream_t compute);
  // ZeRO-1: recv (send_count * size) = every rank's shard of the bf16 weights, in rank order.
  void all_gather(const bf16* send, bf16* recv, Index send_count, cudaStream_t compute);
  // The compute stream waits for every collective issued so far.
  void wait(cudaStream_t compute);

 private:
  void after(cudaStream_t compute);
  // Destroyed in reverse: the communicator before the stream and events its work used.
  Owned<cudaStream_t, cudaStreamDestroy> stream_;
  Owned<cudaEvent_t, cudaEventDestroy> ready_, done_;
  Owned<ncclComm_t, ncclCommDestroy> comm_;
  int rank_ = 0, size_ = 1;
};

// Bucketed gradient all-reduce over the fp32 gradient arena, driven by the model's GradReady
// callback during backward: on_ready(ready_from) issues every bucket that became final.
class GradientSync {
 public:
  GradientSync(NcclComm& nccl, float* grads, const std::vector<std::int64_t>& tensor_begins, std::int64_t total,
               std::int64_t bucket_elems);
  void start();  // before backward
  void on_ready(std::int64_t ready_from, cudaStream_t compute);
  void finish(cudaStream_t compute);  // after backward: issue the rest, compute waits
  const std::vector<dist::Bucket>& buckets() const { return plan_; }

 private:
  NcclComm& nccl_;
  float* grads_;
  std::vector<dist::Bucket> plan_;
  std::size_t next_ = 0;
};

// ZeRO-1 around the optimizer, for arenas padded to shard.padded_total (Model's arena_multiple):
//   zero1_reduce_scatter: this rank's shard of the summed gradients, in place at grads + begin;
//   (the caller updates master/weights in [begin, end) with shard_segments() and shard-sized
//   optimizer state: each rank keeps 1/size of m and v)
//   zero1_all_gather: every rank's updated bf16 weights to every rank, in place.
void zero1_reduce_scatter(NcclComm& nccl, float* grads, const dist::Shard& shard, cudaStream_t compute);
void zero1_all_gather(NcclComm& nccl, bf16* weights, const dist::Shard& shard, cudaStream_t compute);

}  // namespace hermes::backend::cuda
