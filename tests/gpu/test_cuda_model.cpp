// The whole model on the GPU against the host Transformer for the same weights: loss and every
// parameter gradient, for a GPT-2-style block (GELU, biases, MHA) and a LLaMA-style one
// (SwiGLU, no biases, grouped-query attention).
#include <gtest/gtest.h>

#include "gpu_check.hpp"
#include "hermes/backend/cuda/model.hpp"
#include "hermes/model/transformer.hpp"

namespace {

namespace cu = hermes::backend::cuda;
namespace m = hermes::model;
using hermes::testing::gpu::Buf;
using hermes::testing::gpu::expect_close;
using hermes::testing::gpu::round_bf16;

m::ModelConfig tiny(bool llama) {
  m::ModelConfig c = m::preset("nano");
  c.vocab_size = 256;
  if (llama) {
    c.ffn = m::Ffn::swiglu;
    c.bias = false;
    c.n_kv_head = 2;
  }
  return c;
}

class CudaModel : public hermes::testing::gpu::GpuTestWithParam<bool> {};
INSTANTIATE_TEST_SUITE_P(Gpt2AndLlama, CudaModel, ::testing::Values(false, true));

TEST_P(CudaModel, LossAndGradientsMatchHost) {
  const auto cfg = tiny(GetParam());
  const std::int64_t B = 2, T = 32, N = B * T;
  m::Transformer<float> host(cfg, B, T);
  host.init(7);
  // Start both from bf16-exact weights so only the arithmetic differs.
  for (std::int64_t i = 0; i < host.num_params(); ++i) host.params()[i] = round_bf16(host.params()[i]);
  std::vector<std::int32_t> in(N), tgt(N);
  for (std::int64_t n = 0; n < N; ++n) {
    in[n] = static_cast<std::int32_t>((n * 37 + 11) % cfg.vocab_size);
    tgt[n] = static_cast<std::int32_t>((n * 53 + 5) % cfg.vocab_size);
  }
  host.zero_grads();
  const auto st = host.forward(in.data(), tgt.data(), nullptr, true);
  host.backward();

  cu::Model gpu(cfg, B, T, *ctx, 16 * cfg.vocab_size * 2);  // 16-row chunks: exercises chunking
  gpu.load(host.params());
  Buf<std::int32_t> d_in(in), d_tgt(tgt);
  gpu.forward_backward(d_in.get(), d_tgt.get(), nullptr, 1.0f);
  HERMES_CUDA_CHECK(cudaStreamSynchronize(s()));
  double totals[3];
  HERMES_CUDA_CHECK(cudaMemcpy(totals, gpu.totals(), sizeof(totals), cudaMemcpyDeviceToHost));
  EXPECT_NEAR(totals[0], st.loss_sum, 1e-2 * st.loss_sum);
  EXPECT_EQ(static_cast<std::int64_t>(totals[2]), st.count);

  std::vector<float> all_gpu, all_host;
  for (std::size_t i = 0; i < gpu.slots().size(); ++i) {
    const auto& slot = gpu.slots()[i];
    const auto& hslot = host.slots()[i];
    ASSERT_EQ(slot.spec.name, hslot.spec.name);
    std::vector<float> g(slot.spec.numel());
    HERMES_CUDA_CHECK(cudaMemcpy(g.data(), gpu.grads() + slot.offset, g.size() * 4, cudaMemcpyDeviceToHost));
    std::vector<float> h(host.grads() + hslot.offset, host.grads() + hslot.offset + hslot.spec.numel());
    expect_close(slot.spec.name.c_str(), g, h, 0.1);  // per tensor: loose, bf16 through the network
    all_gpu.insert(all_gpu.end(), g.begin(), g.end());
    all_host.insert(all_host.end(), h.begin(), h.end());
  }
  expect_close("all gradients", all_gpu, all_host, 3e-2);
}

}  // namespace
