// cuDNN fused flash attention (attention_cudnn.hpp) against the host attention op: output, the
// saved log-sum-exp statistics (recomputed here in double) and dqkv, for multi-head and
// grouped-query shapes at head dims 64 and 128, with poisoned outputs. The graph test needs no
// GPU (cuDNN finalises descriptors and operation graphs on the host); the rest skip without one.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <tuple>
#include <utility>

#include "gpu_check.hpp"
#include "hermes/backend/cuda/attention.cuh"
#include "hermes/backend/cuda/attention_cudnn.hpp"
#include "hermes/backend/cuda/model.hpp"
#include "hermes/backend/host/attention.hpp"
#include "hermes/core/error.hpp"
#include "hermes/model/transformer.hpp"

namespace {

namespace cu = hermes::backend::cuda;
namespace host = hermes::backend::host;
using hermes::testing::gpu::Buf;
using hermes::testing::gpu::expect_close;
using hermes::testing::gpu::kBwdTol;
using hermes::testing::gpu::kFwdTol;
using hermes::testing::gpu::randn_bf16;
using hermes::testing::gpu::round_bf16;
using bf = cu::bf16;
using I = std::int64_t;

// Host-side: every descriptor, operation and both graphs finalise (forward 14 operations: QK^T,
// scale, 2 index generators, compare, select, max, sub, exp, sum, log, add, div, PV; backward
// 22: dO*O, its row sum, *1, QK^T, the 5 scale/mask operations, sub, exp, P^T, dV, dP, *1, sub,
// 2 mul, dS^T, dK, K from K^T, dQ; GQA adds the two group reductions).
TEST(CudnnAttentionGraph, OperationGraphsFinaliseOnTheHost) {
  for (const auto& [H, KVH, D] : {std::tuple<I, I, I>{4, 4, 64}, {8, 2, 128}, {6, 1, 64}}) {
    SCOPED_TRACE(::testing::Message() << "H=" << H << " KVH=" << KVH << " D=" << D);
    cu::SdpaGraphCounts counts;
    ASSERT_NO_THROW(counts = cu::check_cudnn_attention_graphs(2, 96, H, KVH, D));
    EXPECT_EQ(counts.forward_ops, 14);
    EXPECT_EQ(counts.backward_ops, KVH < H ? 24 : 22);
  }
}

// cuDNN's device-property descriptions of an H100 SXM and an A100 SXM (public figures).
const char* const kH100 =
    R"({"maxGridSize":[2147483647,65535,65535],"maxBlockSize":[1024,1024,64],"regsPerBlock":65536,)"
    R"("multiProcessorCount":132,"warpSize":32,"maxSharedMemoryPerBlock":49152,)"
    R"("maxSharedMemoryPerBlockOptin":232448,"reservedSharedMemoryPerBlock":1024,"maxRegistersPerSM":65536,)"
    R"("maxCtasPerSM":32,"maxThreadsPerBlock":1024,"maxThreadsPerSM":2048,"pciDeviceId":9008,"isTccDriver":0,)"
    R"("supportCoopLaunch":1,"totalGlobalMem":85045510144,"smClockRateKHz":1980000,"memClockRateKHz":2619000,)"
    R"("l2CacheSize":52428800,"cudaDeviceId":0,"deviceVer":900,"driverVer":13000,"deviceName":"NVIDIA H100 80GB HBM3"})";
const char* const kA100 =
    R"({"maxGridSize":[2147483647,65535,65535],"maxBlockSize":[1024,1024,64],"regsPerBlock":65536,)"
    R"("multiProcessorCount":108,"warpSize":32,"maxSharedMemoryPerBlock":49152,)"
    R"("maxSharedMemoryPerBlockOptin":166912,"reservedSharedMemoryPerBlock":1024,"maxRegistersPerSM":65536,)"
    R"("maxCtasPerSM":32,"maxThreadsPerBlock":1024,"maxThreadsPerSM":2048,"pciDeviceId":8370,"isTccDriver":0,)"
    R"("supportCoopLaunch":1,"totalGlobalMem":85899345920,"smClockRateKHz":1410000,"memClockRateKHz":1593000,)"
    R"("l2CacheSize":41943040,"cudaDeviceId":0,"deviceVer":800,"driverVer":13000,"deviceName":"NVIDIA A100-SXM4-80GB"})";

// cuDNN's runtime-compiled attention engines refuse outright unless the driver library loads.
// Without a driver, the toolkit's stub (same soname, libcuda.so.1) stands in: loaded first, it is
// what cuDNN's own dlopen finds. Kept loaded for the process (CUDA calls then report no device).
bool driver_library_loadable() {
  if (dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL) != nullptr) return true;
  const char* home = std::getenv("CUDA_HOME");
  const std::string stub = std::string(home != nullptr ? home : "/usr/local/cuda") + "/lib64/stubs/libcuda.so";
  return dlopen(stub.c_str(), RTLD_NOW | RTLD_GLOBAL) != nullptr;
}

// Host-side, for a described sm_90 and sm_80 GPU: cuDNN's heuristics offer engines for both
// graphs and at least one passes cuDNN's support checks (types, shapes, the fused-attention
// pattern).
TEST(CudnnAttentionGraph, EnginesAcceptBothGraphsOnDescribedH100AndA100) {
  if (!driver_library_loadable())
    GTEST_SKIP() << "neither libcuda.so.1 nor the toolkit's stub (CUDA_HOME/lib64/stubs/libcuda.so) loads: "
                    "cuDNN's runtime-compiled attention engines check for the driver library";
  for (const auto& [name, json] : {std::pair<const char*, const char*>{"H100", kH100}, {"A100", kA100}})
    // GPT-2 small, LLaMA-style GQA, MQA at T = 1024; then the shapes the GPU tests below use.
    for (const auto& [B, T, H, KVH, D] : {std::tuple<I, I, I, I, I>{4, 1024, 12, 12, 64},
                                          {4, 1024, 8, 2, 128},
                                          {4, 1024, 8, 1, 64},
                                          {2, 128, 4, 4, 64},
                                          {2, 96, 8, 2, 64},
                                          {2, 80, 4, 4, 128},
                                          {2, 128, 8, 1, 128},
                                          {2, 64, 4, 2, 64}}) {
      SCOPED_TRACE(::testing::Message() << name << " B=" << B << " T=" << T << " H=" << H << " KVH=" << KVH
                                        << " D=" << D);
      cu::SdpaGraphCounts c;
      ASSERT_NO_THROW(c = cu::check_cudnn_attention_graphs(B, T, H, KVH, D, json));
      EXPECT_GT(c.forward_offered, 0);
      EXPECT_GT(c.backward_offered, 0);
      EXPECT_GT(c.forward_engines, 0) << "no forward engine passes cuDNN's support checks "
                                         "(CUDNN_LOGLEVEL_DBG=2 CUDNN_LOGDEST_DBG=stderr shows why)";
      EXPECT_GT(c.backward_engines, 0) << "no backward engine passes cuDNN's support checks";
    }
}

TEST(CudnnAttentionGraph, HeadDimNotAMultipleOfEightIsRefused) {
  EXPECT_THROW(cu::check_cudnn_attention_graphs(2, 16, 4, 4, 12), hermes::Error);
  EXPECT_THROW(cu::check_cudnn_attention_graphs(2, 16, 4, 3, 16), hermes::Error);  // H % KVH != 0
}

// log-sum-exp of the scaled causal scores, per (b, h, t), in double.
std::vector<float> reference_stats(const std::vector<float>& qkv, I B, I T, I H, I KVH, I D) {
  const I W = (H + 2 * KVH) * D, C = H * D;
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  std::vector<float> stats(B * H * T);
  std::vector<double> s(T);
  for (I b = 0; b < B; ++b)
    for (I h = 0; h < H; ++h) {
      const I g = h / (H / KVH);
      for (I t = 0; t < T; ++t) {
        double mx = -INFINITY;
        for (I j = 0; j <= t; ++j) {
          double dot = 0;
          for (I d = 0; d < D; ++d)
            dot += static_cast<double>(qkv[(b * T + t) * W + h * D + d]) * qkv[(b * T + j) * W + C + g * D + d];
          s[j] = dot * scale;
          mx = std::max(mx, s[j]);
        }
        double sum = 0;
        for (I j = 0; j <= t; ++j) sum += std::exp(s[j] - mx);
        stats[(b * H + h) * T + t] = static_cast<float>(mx + std::log(sum));
      }
    }
  return stats;
}

class CudnnAttention : public hermes::testing::gpu::GpuTestWithParam<std::tuple<I, I, I, I>> {};
// (H, KVH, D, T): multi-head and grouped-query (4 and 8 query heads per KV head, and MQA), head
// dims 64 and 128, sequence lengths on and off a multiple of 64.
INSTANTIATE_TEST_SUITE_P(MhaGqaD64D128, CudnnAttention,
                         ::testing::Values(std::tuple<I, I, I, I>{4, 4, 64, 128}, std::tuple<I, I, I, I>{8, 2, 64, 96},
                                           std::tuple<I, I, I, I>{4, 4, 128, 80},
                                           std::tuple<I, I, I, I>{8, 1, 128, 128}));

TEST_P(CudnnAttention, ForwardStatsAndBackwardMatchHost) {
  const auto [H, KVH, D, T] = GetParam();
  const I B = 2, W = (H + 2 * KVH) * D, C = H * D;
  const auto qkv = randn_bf16(B * T * W, 11), dout = randn_bf16(B * T * C, 12);
  std::vector<float> out(B * T * C), lse(B * H * T), dqkv(B * T * W), scratch(host::attention_scratch_elems(T));
  host::attention_forward<float>(out.data(), lse.data(), qkv.data(), B, T, H, KVH, D, scratch.data());
  host::attention_backward<float>(dqkv.data(), scratch.data(), dout.data(), qkv.data(), lse.data(), B, T, H, KVH, D);
  const auto stats = reference_stats(qkv, B, T, H, KVH, D);

  std::unique_ptr<cu::CudnnAttention> plans;
  ASSERT_NO_THROW(plans = std::make_unique<cu::CudnnAttention>(*ctx, B, T, H, KVH, D))
      << "cuDNN refused a shape it should support on sm_80/sm_90";
  Buf<bf> d_qkv(qkv), d_out(B * T * C), d_dout(dout), d_dqkv(B * T * W);
  Buf<float> d_stats(cu::cudnn_attention_stats_elems(B, T, H));
  plans->forward(d_out.get(), d_stats.get(), d_qkv.get());
  expect_close("cudnn attention out", d_out.download(), out, kFwdTol);
  expect_close("cudnn attention stats", d_stats.download(), stats, 1e-3);
  plans->backward(d_dqkv.get(), d_dout.get(), d_qkv.get(), d_out.get(), d_stats.get());
  expect_close("cudnn attention dqkv", d_dqkv.download(), dqkv, kBwdTol);

  // A second backward over a re-poisoned dqkv: every element written again (=, not +=).
  d_dqkv.poison();
  plans->backward(d_dqkv.get(), d_dout.get(), d_qkv.get(), d_out.get(), d_stats.get());
  expect_close("cudnn attention dqkv again", d_dqkv.download(), dqkv, kBwdTol);
}

// choose_attention: the environment forces the fallback; a wrong value is a one-line error.
using ChooseAttention = hermes::testing::gpu::GpuTest;
TEST_F(ChooseAttention, EnvironmentForcesTheFallback) {
  std::unique_ptr<cu::CudnnAttention> plans;
  ::setenv("HERMES_CUDA_ATTENTION", "cublas", 1);
  EXPECT_EQ(cu::choose_attention(true, *ctx, 2, 64, 4, 4, 64, plans), cu::AttentionImpl::cublas_softmax);
  EXPECT_EQ(plans, nullptr);
  ::setenv("HERMES_CUDA_ATTENTION", "flash", 1);
  EXPECT_THROW(cu::choose_attention(true, *ctx, 2, 64, 4, 4, 64, plans), hermes::Error);
  ::unsetenv("HERMES_CUDA_ATTENTION");
  EXPECT_EQ(cu::choose_attention(false, *ctx, 2, 64, 4, 4, 64, plans), cu::AttentionImpl::cublas_softmax);
  // head_dim 12: cuDNN's path is refused, the fallback answers.
  EXPECT_EQ(cu::choose_attention(true, *ctx, 2, 64, 4, 4, 12, plans), cu::AttentionImpl::cublas_softmax);
  EXPECT_EQ(plans, nullptr);
  EXPECT_EQ(cu::choose_attention(true, *ctx, 2, 64, 4, 4, 64, plans), cu::AttentionImpl::cudnn_fused);
  EXPECT_NE(plans, nullptr);
}

// The whole model with each attention path, same weights and batch: the same loss and gradients
// (the two paths round differently, so within bf16 tolerance).
using CudaModelAttention = hermes::testing::gpu::GpuTest;
TEST_F(CudaModelAttention, CudnnAndFallbackAgree) {
  namespace m = hermes::model;
  m::ModelConfig cfg = m::preset("nano");
  cfg.vocab_size = 256;
  cfg.ffn = m::Ffn::swiglu;
  cfg.bias = false;
  cfg.n_embd = 256;  // head_dim 64, the common case
  cfg.ffn_hidden = 512;
  cfg.n_kv_head = 2;
  const I B = 2, T = 64, N = B * T;
  m::Transformer<float> host(cfg, B, T);
  host.init(3);
  for (I i = 0; i < host.num_params(); ++i) host.params()[i] = round_bf16(host.params()[i]);
  std::vector<std::int32_t> in(N), tgt(N);
  for (I n = 0; n < N; ++n) {
    in[n] = static_cast<std::int32_t>((n * 29 + 3) % cfg.vocab_size);
    tgt[n] = static_cast<std::int32_t>((n * 31 + 7) % cfg.vocab_size);
  }
  Buf<std::int32_t> d_in(in), d_tgt(tgt);
  auto run = [&](const char* env, cu::AttentionImpl want, std::vector<float>& grads) {
    ::setenv("HERMES_CUDA_ATTENTION", env, 1);
    cu::Model gpu(cfg, B, T, *ctx);
    ::unsetenv("HERMES_CUDA_ATTENTION");
    EXPECT_EQ(gpu.attention(), want);
    gpu.load(host.params());
    gpu.forward_backward(d_in.get(), d_tgt.get(), nullptr, 1.0f);
    HERMES_CUDA_CHECK(cudaStreamSynchronize(s()));
    double totals[3];
    HERMES_CUDA_CHECK(cudaMemcpy(totals, gpu.totals(), sizeof(totals), cudaMemcpyDeviceToHost));
    grads.resize(gpu.num_params());
    HERMES_CUDA_CHECK(cudaMemcpy(grads.data(), gpu.grads(), grads.size() * 4, cudaMemcpyDeviceToHost));
    return totals[0];
  };
  std::vector<float> g_cudnn, g_cublas;
  const double loss_cudnn = run("cudnn", cu::AttentionImpl::cudnn_fused, g_cudnn);
  const double loss_cublas = run("cublas", cu::AttentionImpl::cublas_softmax, g_cublas);
  EXPECT_NEAR(loss_cudnn, loss_cublas, 1e-2 * std::abs(loss_cublas));
  expect_close("all gradients, cudnn vs fallback", g_cudnn, g_cublas, 3e-2);
}

}  // namespace
