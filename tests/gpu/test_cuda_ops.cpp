// Every CUDA op against the host op (the reference) on random inputs: inputs are bf16-exact,
// the host runs in fp32 on the same values, outputs are poisoned with NaN first and must be
// fully written, and the comparison is the normalised error with bf16 tolerances.
#include <gtest/gtest.h>

#include <memory>

#include "gpu_check.hpp"
#include "hermes/backend/cuda/activation.cuh"
#include "hermes/backend/cuda/attention.cuh"
#include "hermes/backend/cuda/cross_entropy.cuh"
#include "hermes/backend/cuda/embedding.cuh"
#include "hermes/backend/cuda/graph.hpp"
#include "hermes/backend/cuda/linear.cuh"
#include "hermes/backend/cuda/optimizer.cuh"
#include "hermes/backend/cuda/rmsnorm.cuh"
#include "hermes/backend/cuda/rope.cuh"
#include "hermes/backend/ops.hpp"
#include "hermes/optim/optimizer.hpp"

namespace {

namespace cu = hermes::backend::cuda;
namespace host = hermes::backend::host;
using hermes::testing::gpu::Buf;
using hermes::testing::gpu::expect_close;
using hermes::testing::gpu::kBwdTol;
using hermes::testing::gpu::kFwdTol;
using hermes::testing::gpu::randn_bf16;
using hermes::testing::gpu::randn_f32;
using hermes::testing::gpu::round_bf16;
using bf = cu::bf16;
using I = std::int64_t;

using CudaOps = hermes::testing::gpu::GpuTest;

std::vector<std::int32_t> rand_tokens(std::size_t n, int V, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::int32_t> t(n);
  for (auto& x : t) x = static_cast<std::int32_t>(rng() % V);
  return t;
}

// Widths with and without the 16-byte vector path.
class CudaOpsWidth : public CudaOps, public ::testing::WithParamInterface<I> {};
INSTANTIATE_TEST_SUITE_P(VectorAndScalar, CudaOpsWidth, ::testing::Values(I{256}, I{36}));

TEST_P(CudaOpsWidth, Embedding) {
  const I N = 64, C = GetParam(), V = 50;
  const auto wte = randn_bf16(V * C, 1), dout = randn_bf16(N * C, 2), dw0 = randn_f32(V * C, 3);
  const auto tok = rand_tokens(N, V, 4);
  Buf<bf> d_wte(wte), d_out(N * C), d_dout(dout);
  Buf<std::int32_t> d_tok(tok);
  Buf<float> d_dw(dw0);
  cu::embedding_forward(d_out.get(), d_tok.get(), d_wte.get(), N, C, s());
  cu::embedding_backward(d_dw.get(), d_dout.get(), d_tok.get(), N, C, s());
  std::vector<float> out(N * C), dw = dw0;
  host::embedding_forward<float>(out.data(), tok.data(), wte.data(), N, C);
  host::embedding_backward<float>(dw.data(), dout.data(), tok.data(), N, C);
  expect_close("embedding out", d_out.download(), out, 1e-6);
  expect_close("embedding dwte", d_dw.download(), dw, 1e-5);
}

TEST_P(CudaOpsWidth, RmsnormAndFusedResidual) {
  const I N = 48, C = GetParam();
  const auto a = randn_bf16(N * C, 1), b = randn_bf16(N * C, 2), w = randn_bf16(C, 3, 0.5f);
  const auto dout = randn_bf16(N * C, 4), dinp0 = randn_bf16(N * C, 5), dw0 = randn_f32(C, 6);
  // host: res = a + b (rounded like the GPU stores it), out = rmsnorm(res)
  std::vector<float> res(N * C), out(N * C), rstd(N), dinp = dinp0, dw = dw0;
  host::residual_forward<float>(res.data(), a.data(), b.data(), N * C);
  for (auto& x : res) x = round_bf16(x);
  host::rmsnorm_forward<float>(out.data(), rstd.data(), res.data(), w.data(), N, C, 1e-5);
  host::rmsnorm_backward<float>(dinp.data(), dw.data(), dout.data(), res.data(), w.data(), rstd.data(), N, C);

  Buf<bf> d_a(a), d_b(b), d_w(w), d_res(N * C), d_out(N * C), d_out2(N * C), d_dout(dout), d_dinp(dinp0);
  Buf<float> d_rstd(N), d_rstd2(N), d_dw(dw0);
  cu::residual_rmsnorm_forward(d_res.get(), d_out.get(), d_rstd.get(), d_a.get(), d_b.get(), d_w.get(), N, C, 1e-5,
                               s());
  expect_close("fused residual", d_res.download(), res, 1e-6);
  expect_close("fused rmsnorm out", d_out.download(), out, kFwdTol);
  expect_close("fused rmsnorm rstd", d_rstd.download(), rstd, 1e-4);
  cu::rmsnorm_forward(d_out2.get(), d_rstd2.get(), d_res.get(), d_w.get(), N, C, 1e-5, s());
  expect_close("rmsnorm out", d_out2.download(), out, kFwdTol);
  cu::rmsnorm_backward(d_dinp.get(), d_dw.get(), d_dout.get(), d_res.get(), d_w.get(), d_rstd.get(), N, C, s());
  expect_close("rmsnorm dinp (+=)", d_dinp.download(), dinp, kBwdTol);
  expect_close("rmsnorm dweight (+=)", d_dw.download(), dw, kBwdTol);

  Buf<bf> d_sum(N * C);
  cu::residual_forward(d_sum.get(), d_a.get(), d_b.get(), N * C, s());
  expect_close("residual", d_sum.download(), res, 1e-6);
}

TEST_P(CudaOpsWidth, PointwiseActivations) {
  const I n = 64 * GetParam();
  const auto x = randn_bf16(n, 1, 2.0f), u = randn_bf16(n, 2), dout = randn_bf16(n, 3);
  std::vector<float> y(n), dx(n), sw(n), dg(n), du(n);
  host::gelu_forward<float>(y.data(), x.data(), n);
  host::gelu_backward<float>(dx.data(), x.data(), dout.data(), n);
  host::swiglu_forward<float>(sw.data(), x.data(), u.data(), n);
  host::swiglu_backward<float>(dg.data(), du.data(), x.data(), u.data(), dout.data(), n);
  Buf<bf> d_x(x), d_u(u), d_dout(dout), d_y(n), d_dx(n), d_sw(n), d_dg(n), d_du(n);
  cu::gelu_forward(d_y.get(), d_x.get(), n, s());
  cu::gelu_backward(d_dx.get(), d_x.get(), d_dout.get(), n, s());
  cu::swiglu_forward(d_sw.get(), d_x.get(), d_u.get(), n, s());
  cu::swiglu_backward(d_dg.get(), d_du.get(), d_x.get(), d_u.get(), d_dout.get(), n, s());
  expect_close("gelu", d_y.download(), y, kFwdTol);
  expect_close("gelu backward", d_dx.download(), dx, kFwdTol);
  expect_close("swiglu", d_sw.download(), sw, kFwdTol);
  expect_close("swiglu dgate", d_dg.download(), dg, kFwdTol);
  expect_close("swiglu dup", d_du.download(), du, kFwdTol);
}

TEST_F(CudaOps, LinearWithBiasAndWithout) {
  const I N = 96, IC = 128, OC = 192;
  const auto x = randn_bf16(N * IC, 1), w = randn_bf16(OC * IC, 2, 0.1f), b = randn_bf16(OC, 3);
  const auto dout = randn_bf16(N * OC, 4), dw0 = randn_f32(OC * IC, 5), db0 = randn_f32(OC, 6);
  for (const bool with_bias : {true, false}) {
    std::vector<float> out(N * OC), dx(N * IC), dw = dw0, db = db0;
    host::linear_forward<float>(out.data(), x.data(), w.data(), with_bias ? b.data() : nullptr, N, IC, OC);
    host::linear_backward<float>(dx.data(), dw.data(), with_bias ? db.data() : nullptr, dout.data(), x.data(), w.data(),
                                 N, IC, OC);
    Buf<bf> d_x(x), d_w(w), d_b(b), d_out(N * OC), d_dout(dout), d_dx(N * IC);
    Buf<float> d_dw(dw0), d_db(db0);
    cu::linear_forward(d_out.get(), d_x.get(), d_w.get(), with_bias ? d_b.get() : nullptr, N, IC, OC, *ctx);
    cu::linear_backward(d_dx.get(), d_dw.get(), with_bias ? d_db.get() : nullptr, d_dout.get(), d_x.get(), d_w.get(), N,
                        IC, OC, *ctx);
    expect_close("linear out", d_out.download(), out, kFwdTol);
    expect_close("linear dinp", d_dx.download(), dx, kFwdTol);
    expect_close("linear dweight (+=)", d_dw.download(), dw, 1e-3);
    if (with_bias) expect_close("linear dbias (+=)", d_db.download(), db, 1e-4);
  }
}

// OC = 256 runs the fused cuBLASLt epilogues; OC = 36 (not a multiple of 8, which the epilogues'
// aux leading dimension needs) runs the unfused fallback under the same contract.
TEST_F(CudaOps, LinearGeluEpilogues) {
  for (const I OC : {I{256}, I{36}}) {
    SCOPED_TRACE(::testing::Message() << "GELU width " << OC);
    const I N = 64, IC = 128, OC2 = 96;
    const auto x = randn_bf16(N * IC, 1), w = randn_bf16(OC * IC, 2, 0.1f), b = randn_bf16(OC, 3);
    const auto w2 = randn_bf16(OC2 * OC, 4, 0.1f), dout2 = randn_bf16(N * OC2, 5);
    // host: pre = x W^T + b; h = gelu(pre); y = h W2^T; backward of y then of gelu
    std::vector<float> pre(N * OC), h(N * OC), dh(N * OC), dpre(N * OC), dw2(OC2 * OC, 0.0f);
    host::linear_forward<float>(pre.data(), x.data(), w.data(), b.data(), N, IC, OC);
    host::gelu_forward<float>(h.data(), pre.data(), N * OC);
    Buf<bf> d_x(x), d_w(w), d_b(b), d_pre(N * OC), d_h(N * OC);
    cu::linear_gelu_forward(d_h.get(), d_pre.get(), d_x.get(), d_w.get(), d_b.get(), N, IC, OC, *ctx);
    expect_close("gelu epilogue pre-activation", d_pre.download(), pre, kFwdTol);
    expect_close("gelu epilogue output", d_h.download(), h, kFwdTol);
    // backward from the GPU's own bf16 h and pre, so only the dgelu epilogue is under test
    const auto h_gpu = d_h.download(), pre_gpu = d_pre.download();
    host::linear_backward<float>(dh.data(), dw2.data(), nullptr, dout2.data(), h_gpu.data(), w2.data(), N, OC, OC2);
    host::gelu_backward<float>(dpre.data(), pre_gpu.data(), dh.data(), N * OC);
    Buf<bf> d_w2(w2), d_dout2(dout2), d_dpre(N * OC);
    Buf<float> d_dw2(std::vector<float>(OC2 * OC, 0.0f));
    cu::linear_backward_dgelu(d_dpre.get(), d_dw2.get(), nullptr, d_dout2.get(), d_h.get(), d_w2.get(), d_pre.get(), N,
                              OC, OC2, *ctx);
    expect_close("dgelu epilogue", d_dpre.download(), dpre, kBwdTol);
    expect_close("dgelu weight grad", d_dw2.download(), dw2, 1e-3);
  }
}

TEST_F(CudaOps, RopeForwardBackwardInQkvLayout) {
  const I B = 2, T = 16, H = 4, KVH = 2, D = 64, W = (H + 2 * KVH) * D;
  const auto qkv = randn_bf16(B * T * W, 1);
  std::vector<float> c(T * D / 2), sn(T * D / 2), fwd = qkv, bwd = qkv;
  host::rope_table<float>(c.data(), sn.data(), T, D, 10000.0);
  host::rope_forward<float>(fwd.data(), c.data(), sn.data(), B, T, H, KVH, D);
  host::rope_backward<float>(bwd.data(), c.data(), sn.data(), B, T, H, KVH, D);
  Buf<float> d_c(T * D / 2), d_s(T * D / 2);
  cu::rope_table(d_c.get(), d_s.get(), T, D, 10000.0, s());
  expect_close("rope cos", d_c.download(), c, 1e-6);
  expect_close("rope sin", d_s.download(), sn, 1e-6);
  Buf<bf> d_f(qkv), d_b(qkv);
  cu::rope_forward(d_f.get(), d_c.get(), d_s.get(), B, T, H, KVH, D, s());
  cu::rope_backward(d_b.get(), d_c.get(), d_s.get(), B, T, H, KVH, D, s());
  expect_close("rope forward", d_f.download(), fwd, kFwdTol);
  expect_close("rope backward", d_b.download(), bwd, kFwdTol);
}

class CudaAttention : public CudaOps, public ::testing::WithParamInterface<std::tuple<I, I, I>> {};
INSTANTIATE_TEST_SUITE_P(MhaAndGqa, CudaAttention,
                         ::testing::Values(std::tuple<I, I, I>{4, 4, 32}, std::tuple<I, I, I>{4, 2, 64},
                                           std::tuple<I, I, I>{6, 1, 12}));

TEST_P(CudaAttention, ForwardBackward) {
  const auto [H, KVH, D] = GetParam();
  const I B = 2, T = 40, W = (H + 2 * KVH) * D, C = H * D;
  const auto qkv = randn_bf16(B * T * W, 1), dout = randn_bf16(B * T * C, 2);
  std::vector<float> out(B * T * C), lse(B * H * T), dqkv(B * T * W), scratch(host::attention_scratch_elems(T));
  host::attention_forward<float>(out.data(), lse.data(), qkv.data(), B, T, H, KVH, D, scratch.data());
  host::attention_backward<float>(dqkv.data(), scratch.data(), dout.data(), qkv.data(), lse.data(), B, T, H, KVH, D);
  // The host keeps only the rows' log-sum-exp; the probabilities this backend keeps are
  // exp(S - lse) below the diagonal and 0 above it.
  std::vector<float> probs(B * H * T * T, 0.0f);
  for (I b = 0; b < B; ++b)
    for (I h = 0; h < H; ++h)
      for (I t = 0; t < T; ++t)
        for (I j = 0; j <= t; ++j) {
          double s = 0;
          for (I d = 0; d < D; ++d)
            s += static_cast<double>(qkv[(b * T + t) * W + h * D + d]) *
                 qkv[(b * T + j) * W + H * D + (h / (H / KVH)) * D + d];
          probs[((b * H + h) * T + t) * T + j] =
              static_cast<float>(std::exp(s / std::sqrt(static_cast<double>(D)) - lse[(b * H + h) * T + t]));
        }
  Buf<bf> d_qkv(qkv), d_out(B * T * C), d_probs(B * H * T * T), d_dout(dout), d_dqkv(B * T * W);
  Buf<bf> d_scr(cu::attention_scratch_elems(B, T, H, D));
  cu::attention_forward(d_out.get(), d_probs.get(), d_qkv.get(), B, T, H, KVH, D, d_scr.get(), *ctx);
  expect_close("attention out", d_out.download(), out, kFwdTol);
  expect_close("attention probs", d_probs.download(), probs, kFwdTol);
  cu::attention_backward(d_dqkv.get(), d_scr.get(), d_dout.get(), d_qkv.get(), d_probs.get(), B, T, H, KVH, D, *ctx);
  expect_close("attention dqkv", d_dqkv.download(), dqkv, kBwdTol);
}

class CudaCrossEntropy : public CudaOps, public ::testing::WithParamInterface<I> {};
INSTANTIATE_TEST_SUITE_P(VectorAndScalar, CudaCrossEntropy, ::testing::Values(I{1024}, I{1003}));

TEST_P(CudaCrossEntropy, LossArgmaxAndGradientInPlace) {
  const I N = 37, V = GetParam();
  const auto logits = randn_bf16(N * V, 1, 3.0f);
  const auto tgt = rand_tokens(N, static_cast<int>(V), 2);
  std::vector<std::uint8_t> mask(N);
  for (I n = 0; n < N; ++n) mask[n] = n % 5 == 3 ? 0 : 1;
  // Make some rows' argmax the target so `correct` is exercised.
  auto lg = logits;
  for (I n = 0; n < N; n += 3) lg[n * V + tgt[n]] = 12.0f;
  std::vector<float> hl = lg, row_loss(N);
  std::vector<std::int32_t> row_correct(N);
  const auto st = host::cross_entropy_forward_backward<float>(hl.data(), row_loss.data(), row_correct.data(),
                                                              tgt.data(), mask.data(), N, V, 0.25f, true);
  Buf<bf> d_lg(lg);
  Buf<float> d_loss(N);
  Buf<std::int32_t> d_corr(N), d_tgt(tgt);
  Buf<std::uint8_t> d_mask(mask);
  Buf<double> d_tot(std::vector<double>(3, 0.0));
  cu::cross_entropy_forward_backward(d_lg.get(), d_loss.get(), d_corr.get(), d_tgt.get(), d_mask.get(), N, V, 0.25f,
                                     true, s());
  cu::cross_entropy_totals(d_tot.get(), d_loss.get(), d_corr.get(), d_mask.get(), N, s());
  expect_close("row loss", d_loss.download(), row_loss, 1e-4);
  const auto corr = d_corr.download();
  for (I n = 0; n < N; ++n) EXPECT_EQ(static_cast<int>(corr[n]), row_correct[n]) << "row " << n;
  expect_close("dlogits", d_lg.download(), hl, kFwdTol);
  const auto tot = d_tot.download();
  EXPECT_NEAR(tot[0], st.loss_sum, 1e-4 * std::abs(st.loss_sum));
  EXPECT_EQ(static_cast<std::int64_t>(tot[1]), st.correct);
  EXPECT_EQ(static_cast<std::int64_t>(tot[2]), st.count);
}

TEST_F(CudaOps, ChunkedTiedHeadMatchesUnchunked) {
  const I N = 50, C = 64, V = 509;  // odd V: the chunk's rows are padded to logits_ld(V)
  const auto x = randn_bf16(N * C, 1), wte = randn_bf16(V * C, 2, 0.2f);
  const auto tgt = rand_tokens(N, static_cast<int>(V), 3);
  std::vector<float> logits(N * V), row_loss(N), dx(N * C), dwte(V * C, 0.0f);
  std::vector<std::int32_t> corr(N);
  host::linear_forward<float>(logits.data(), x.data(), wte.data(), nullptr, N, C, V);
  for (auto& z : logits) z = round_bf16(z);  // the GPU keeps bf16 logits
  host::cross_entropy_forward_backward<float>(logits.data(), row_loss.data(), corr.data(), tgt.data(), nullptr, N, V,
                                              1.0f, true);
  host::linear_backward<float>(dx.data(), dwte.data(), nullptr, logits.data(), x.data(), wte.data(), N, C, V);
  Buf<bf> d_x(x), d_wte(wte), d_dx(N * C), d_chunk(16 * cu::logits_ld(V));
  Buf<float> d_loss(N), d_dwte(std::vector<float>(V * C, 0.0f));
  Buf<std::int32_t> d_corr(N), d_tgt(tgt);
  cu::cross_entropy_head(d_dx.get(), d_dwte.get(), d_loss.get(), d_corr.get(), d_chunk.get(), d_x.get(), d_wte.get(),
                         d_tgt.get(), nullptr, N, C, V, 16, 1.0f, *ctx);
  expect_close("head row loss", d_loss.download(), row_loss, 1e-2);
  expect_close("head dx", d_dx.download(), dx, kBwdTol);
  expect_close("head dwte", d_dwte.download(), dwte, kBwdTol);
}

// AdamW and Muon against the host optimizer on a two-tensor model: one hidden matrix, one vector.
TEST_F(CudaOps, AdamwAndMuonMatchHostOptimizer) {
  namespace m = hermes::model;
  for (const std::string name : {"adamw", "muon"}) {
    const I R = 48, K = 80, nv = 40, n = R * K + nv;
    std::vector<m::ParamSlot> slots(2);
    slots[0].spec = {"blocks.0.ffn.up.weight", {R, K}, true, true};
    slots[0].offset = 0;
    slots[1].spec = {"blocks.0.ln1.weight", {nv}, false, false};
    slots[1].offset = R * K;
    hermes::optim::Settings set;
    set.name = name;
    set.lr = 1e-3;
    set.weight_decay = 0.1;
    hermes::optim::Optimizer opt(slots, n, set);
    auto p_host = randn_f32(n, 1, 0.1f);
    const auto g = randn_f32(n, 2, 0.01f);
    const auto p0 = p_host;
    const float gscale = 0.5f;
    std::vector<float> g_scaled(g);
    for (auto& x : g_scaled) x *= gscale;
    for (int step = 1; step <= 2; ++step) opt.update(p_host.data(), g_scaled.data(), step, 1.0);

    Buf<float> d_p(p0), d_g(g), d_m(std::vector<float>(n, 0.0f)), d_v(std::vector<float>(n, 0.0f));
    Buf<bf> d_pb(n);
    const bool muon = name == "muon";
    std::vector<cu::OptimSegment> segs;
    if (!muon) segs.push_back({0, R * K, 0, true});
    segs.push_back({R * K, n, R * K, false});
    const auto blocks = cu::plan_segment_blocks(segs, cu::kAdamBlockElems);
    cu::DeviceBuffer<cu::SegmentBlock> d_blocks(blocks.size());
    HERMES_CUDA_CHECK(
        cudaMemcpy(d_blocks.data(), blocks.data(), blocks.size() * sizeof(cu::SegmentBlock), cudaMemcpyHostToDevice));
    HERMES_CUDA_CHECK(cudaDeviceSynchronize());  // the updates run on the non-blocking stream s()
    const I r = std::min(R, K);
    Buf<float> x(R * K), x2(R * K), gram(r * r), poly(r * r);
    Buf<double> partials(cu::kReduceBlocks), norm2(1);
    const cu::MuonWorkspace ws{x.get(), x2.get(), gram.get(), poly.get(), partials.get(), norm2.get()};
    Buf<cu::OptimScalars> d_sc(1);
    for (int step = 1; step <= 2; ++step) {
      cu::OptimScalars sc;
      sc.lr = static_cast<float>(set.lr);
      sc.beta1 = static_cast<float>(set.beta1);
      sc.beta2 = static_cast<float>(set.beta2);
      sc.eps = static_cast<float>(set.eps);
      sc.weight_decay = static_cast<float>(set.weight_decay);
      sc.bias_c1 = static_cast<float>(1.0 - std::pow(set.beta1, step));
      sc.bias_c2 = static_cast<float>(1.0 - std::pow(set.beta2, step));
      sc.grad_scale = gscale;
      sc.muon_lr = static_cast<float>(set.muon_lr);
      sc.muon_momentum = static_cast<float>(set.muon_momentum);
      // In stream order: the previous step's kernels on s() still read d_sc, and a legacy-stream
      // cudaMemcpy does not wait for a non-blocking stream.
      HERMES_CUDA_CHECK(cudaMemcpyAsync(d_sc.get(), &sc, sizeof(sc), cudaMemcpyHostToDevice, s()));
      if (muon) cu::muon_update(d_p.get(), d_pb.get(), d_g.get(), d_m.get(), R, K, true, 5, d_sc.get(), ws, *ctx);
      cu::adamw_update(d_p.get(), d_pb.get(), d_g.get(), d_m.get(), d_v.get(), d_blocks.data(),
                       static_cast<I>(blocks.size()), d_sc.get(), s());
      HERMES_CUDA_CHECK(cudaStreamSynchronize(s()));  // `sc` (pageable, on the stack) is reused
    }
    // Compare the update (p - p0), which is what the optimizer computes.
    auto got = d_p.download();
    std::vector<float> du_gpu(n), du_host(n);
    for (I i = 0; i < n; ++i) {
      du_gpu[i] = got[i] - p0[i];
      du_host[i] = p_host[i] - p0[i];
    }
    expect_close((name + " update").c_str(), du_gpu, du_host, muon ? 2e-2 : 1e-4);
    const auto pb = d_pb.download();
    for (I i = 0; i < n; ++i) ASSERT_EQ(pb[i], round_bf16(got[i])) << name << " bf16 copy [" << i << "]";
  }
}

TEST_F(CudaOps, GradNormAndClipScale) {
  const I n = 100000;
  const auto g = randn_f32(n, 1);
  double want = 0;
  for (const float x : g) want += static_cast<double>(x) * x;
  Buf<float> d_g(g), d_norm(1);
  Buf<double> partials(cu::kReduceBlocks), norm2(1);
  cu::sum_squares(norm2.get(), d_g.get(), n, partials.get(), s());
  EXPECT_NEAR(norm2.download()[0], want, 1e-9 * want);
  cu::OptimScalars sc;
  sc.grad_scale = 0.5f;
  Buf<cu::OptimScalars> d_sc(1);
  HERMES_CUDA_CHECK(cudaMemcpyAsync(d_sc.get(), &sc, sizeof(sc), cudaMemcpyHostToDevice, s()));
  cu::finalize_grad_scale(d_sc.get(), norm2.get(), 1.0f, d_norm.get(), s());
  // Read back in the kernel's stream order (a legacy-stream cudaMemcpy would not wait for s()).
  HERMES_CUDA_CHECK(cudaMemcpyAsync(&sc, d_sc.get(), sizeof(sc), cudaMemcpyDeviceToHost, s()));
  HERMES_CUDA_CHECK(cudaStreamSynchronize(s()));
  const double norm = 0.5 * std::sqrt(want);
  EXPECT_NEAR(d_norm.download()[0], norm, 1e-4 * norm);
  EXPECT_NEAR(sc.grad_scale, 0.5 / (norm + 1e-6), 1e-6);
}

TEST_F(CudaOps, GraphReplayMatchesDirectLaunch) {
  const I N = 32, C = 128;
  const auto a = randn_bf16(N * C, 1), b = randn_bf16(N * C, 2), w = randn_bf16(C, 3);
  Buf<bf> d_a(a), d_b(b), d_w(w), r1(N * C), o1(N * C), r2(N * C), o2(N * C);
  Buf<float> s1(N), s2(N);
  cu::residual_rmsnorm_forward(r1.get(), o1.get(), s1.get(), d_a.get(), d_b.get(), d_w.get(), N, C, 1e-5, s());
  cu::Graph graph;
  graph.capture(s(), [&] {
    cu::residual_rmsnorm_forward(r2.get(), o2.get(), s2.get(), d_a.get(), d_b.get(), d_w.get(), N, C, 1e-5, s());
  });
  ASSERT_TRUE(graph.ready());
  graph.launch(s());
  expect_close("graph replay", o2.download(), o1.download(), 0.0);
}

}  // namespace
