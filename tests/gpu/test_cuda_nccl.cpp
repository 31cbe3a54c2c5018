// NCCL plumbing on however many ranks the test runs with (one under ctest): unique id broadcast
// through MPI, bucketed all-reduce driven by GradReady offsets, ZeRO-1 reduce-scatter/all-gather
// in place. Expected values are computed from the rank count, not from NCCL.
#include <gtest/gtest.h>

#include "gpu_check.hpp"
#include "hermes/backend/cuda/data_parallel.hpp"

namespace {

namespace cu = hermes::backend::cuda;
using hermes::testing::gpu::Buf;
using hermes::testing::gpu::round_bf16;

// Each rank on the device select_device gives it, as training does.
class CudaNccl : public hermes::testing::gpu::GpuTest {
 protected:
  int device() const override { return cu::select_device(hermes::dist::Communicator::world()); }
};

TEST_F(CudaNccl, BucketedAllReduceAndZero1) {
  const auto comm = hermes::dist::Communicator::world();
  cu::NcclComm nccl(comm, device());
  const cudaStream_t compute = s();
  const int R = comm.size(), me = comm.rank();

  // Gradient arena of 5 tensors; rank r holds (r + 1) * (i % 7); the sum is (R(R+1)/2) * (i % 7).
  const std::vector<std::int64_t> begins{0, 100, 300, 1000, 1100};
  const std::int64_t total = 1500;
  std::vector<float> g(total);
  for (std::int64_t i = 0; i < total; ++i) g[i] = static_cast<float>((me + 1) * (i % 7));
  Buf<float> d_g(g);
  cu::GradientSync sync(nccl, d_g.get(), begins, total, 400);
  sync.start();
  for (auto it = begins.rbegin(); it != begins.rend(); ++it) sync.on_ready(*it, compute);  // as backward would
  sync.finish(compute);
  HERMES_CUDA_CHECK(cudaStreamSynchronize(compute));
  const auto got = d_g.download();
  const float f = static_cast<float>(R * (R + 1) / 2);
  for (std::int64_t i = 0; i < total; ++i) ASSERT_EQ(got[i], f * static_cast<float>(i % 7)) << i;

  // ZeRO-1 over a padded arena.
  const auto shard = hermes::dist::shard_for(total, R, me);
  std::vector<float> g2(shard.padded_total, 0.0f);
  for (std::int64_t i = 0; i < total; ++i) g2[i] = static_cast<float>(me + 1);
  Buf<float> d_g2(g2);
  cu::zero1_reduce_scatter(nccl, d_g2.get(), shard, compute);
  HERMES_CUDA_CHECK(cudaStreamSynchronize(compute));
  const auto rs = d_g2.download();
  for (std::int64_t i = shard.owned_begin; i < shard.owned_end; ++i) ASSERT_EQ(rs[i], f) << i;
  // Each rank writes its rank id into its own shard of the weights; after the gather every
  // element holds its owner's id.
  std::vector<float> w(shard.padded_total, -1.0f);
  for (std::int64_t i = shard.begin; i < shard.end; ++i) w[i] = static_cast<float>(me);
  Buf<cu::bf16> d_w(w);
  cu::zero1_all_gather(nccl, d_w.get(), shard, compute);
  HERMES_CUDA_CHECK(cudaStreamSynchronize(compute));
  const auto ag = d_w.download();
  for (std::int64_t i = 0; i < shard.padded_total; ++i)
    ASSERT_EQ(ag[i], round_bf16(static_cast<float>(i / shard.shard_size))) << i;
}

}  // namespace
