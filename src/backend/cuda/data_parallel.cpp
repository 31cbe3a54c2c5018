#include "hermes/backend/cuda/data_parallel.hpp"

#include <cstring>

#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"

namespace hermes::backend::cuda {

int select_device(const dist::Communicator& comm) {
  const int count = device_count();
  if (count == 0)
    fail(
        "rank {}: parallel.backend = \"cuda\" but no CUDA GPU is visible (check nvidia-smi and "
        "CUDA_VISIBLE_DEVICES, or set parallel.backend = \"host\")",
        comm.rank());
  if (comm.local_size() > count && comm.local_rank() == 0)
    log::warn("{} ranks share this node's {} GPU(s): ranks will share devices (start one rank per GPU)",
              comm.local_size(), count);
  const int device = comm.local_rank() % count;
  HERMES_CUDA_CHECK(cudaSetDevice(device));
  return device;
}

NcclComm::NcclComm(const dist::Communicator& comm, int device) : rank_(comm.rank()), size_(comm.size()) {
  HERMES_CUDA_CHECK(cudaSetDevice(device));
  ncclUniqueId id;
  std::memset(&id, 0, sizeof(id));
  if (comm.is_root()) HERMES_NCCL_CHECK(ncclGetUniqueId(&id));
  comm.broadcast(std::span<std::byte>(reinterpret_cast<std::byte*>(&id), sizeof(id)));
  HERMES_NCCL_CHECK(create_into(comm_, ncclCommInitRank, size_, id, rank_));
  HERMES_CUDA_CHECK(create_into(stream_, cudaStreamCreateWithFlags, cudaStreamNonBlocking));
  HERMES_CUDA_CHECK(create_into(ready_, cudaEventCreateWithFlags, cudaEventDisableTiming));
  HERMES_CUDA_CHECK(create_into(done_, cudaEventCreateWithFlags, cudaEventDisableTiming));
}

void NcclComm::after(cudaStream_t compute) {
  HERMES_CUDA_CHECK(cudaEventRecord(ready_.get(), compute));
  HERMES_CUDA_CHECK(cudaStreamWaitEvent(stream(), ready_.get(), 0));
}

void NcclComm::all_reduce(float* data, Index count, cudaStream_t compute) {
  after(compute);
  HERMES_NCCL_CHECK(
      ncclAllReduce(data, data, static_cast<std::size_t>(count), ncclFloat32, ncclSum, handle(), stream()));
}

void NcclComm::reduce_scatter(const float* send, float* recv, Index recv_count, cudaStream_t compute) {
  after(compute);
  HERMES_NCCL_CHECK(
      ncclReduceScatter(send, recv, static_cast<std::size_t>(recv_count), ncclFloat32, ncclSum, handle(), stream()));
}

void NcclComm::all_gather(const bf16* send, bf16* recv, Index send_count, cudaStream_t compute) {
  after(compute);
  HERMES_NCCL_CHECK(ncclAllGather(send, recv, static_cast<std::size_t>(send_count), ncclBfloat16, handle(), stream()));
}

void NcclComm::wait(cudaStream_t compute) {
  HERMES_CUDA_CHECK(cudaEventRecord(done_.get(), stream()));
  HERMES_CUDA_CHECK(cudaStreamWaitEvent(compute, done_.get(), 0));
}

GradientSync::GradientSync(NcclComm& nccl, float* grads, const std::vector<std::int64_t>& begins, std::int64_t total,
                           std::int64_t bucket_elems)
    : nccl_(nccl), grads_(grads), plan_(dist::plan_buckets(begins, total, bucket_elems)) {}

void GradientSync::start() { next_ = 0; }

void GradientSync::on_ready(std::int64_t ready_from, cudaStream_t compute) {
  for (const std::size_t i : dist::buckets_ready(plan_, ready_from, next_))
    nccl_.all_reduce(grads_ + plan_[i].begin, plan_[i].size(), compute);
}

void GradientSync::finish(cudaStream_t compute) {
  on_ready(0, compute);
  nccl_.wait(compute);
}

void zero1_reduce_scatter(NcclComm& nccl, float* grads, const dist::Shard& shard, cudaStream_t compute) {
  // NCCL's in-place form: recvbuff == sendbuff + rank * recvcount.
  nccl.reduce_scatter(grads, grads + shard.begin, shard.shard_size, compute);
  nccl.wait(compute);
}

void zero1_all_gather(NcclComm& nccl, bf16* weights, const dist::Shard& shard, cudaStream_t compute) {
  // In place: sendbuff == recvbuff + rank * sendcount.
  nccl.all_gather(weights + shard.begin, weights, shard.shard_size, compute);
  nccl.wait(compute);
}

}  // namespace hermes::backend::cuda
