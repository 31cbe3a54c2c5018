// GPU decoding against the host: each CUDA decode op (rope at positions, K/V cache write, cached
// attention) against the host op on random bf16-exact inputs, outputs poisoned first; the GPU
// Decoder's prefill and decode logits against model::Decoder<double> for the same (bf16-exact)
// weights; greedy generation through the Generator on both backends.
#include <gtest/gtest.h>

#include "../support/small_model.hpp"

#include <algorithm>
#include <memory>

#include "gpu_check.hpp"
#include "hermes/backend/cuda/context.cuh"
#include "hermes/backend/cuda/decoder.hpp"
#include "hermes/backend/cuda/kv_cache.cuh"
#include "hermes/backend/cuda/rope.cuh"
#include "hermes/backend/ops.hpp"
#include "hermes/generate/generator.hpp"
#include "hermes/model/decoder.hpp"
#include "hermes/model/transformer.hpp"
#include "hermes/tokenizer/tokenizer.hpp"

namespace {

namespace cu = hermes::backend::cuda;
namespace host = hermes::backend::host;
namespace m = hermes::model;
using hermes::testing::gpu::Buf;
using hermes::testing::gpu::expect_close;
using hermes::testing::gpu::kFwdTol;
using hermes::testing::gpu::randn_bf16;
using hermes::testing::gpu::round_bf16;
using bf = cu::bf16;
using I = std::int64_t;

// Heads, KV heads, head dim: MHA on the 16-byte path, GQA (4 query heads per KV head) on it, and
// a head dim that is not a multiple of 8 (scalar path).
struct Shape {
  I H, KVH, D;
};
void PrintTo(const Shape& s, std::ostream* os) { *os << "H=" << s.H << " KVH=" << s.KVH << " D=" << s.D; }
class CudaDecodeOps : public hermes::testing::gpu::GpuTestWithParam<Shape> {};
INSTANTIATE_TEST_SUITE_P(MhaGqaScalar, CudaDecodeOps,
                         ::testing::Values(Shape{4, 4, 32}, Shape{8, 2, 64}, Shape{6, 2, 18}),
                         [](const ::testing::TestParamInfo<Shape>& i) {
                           return "H" + std::to_string(i.param.H) + "_KV" + std::to_string(i.param.KVH) + "_D" +
                                  std::to_string(i.param.D);
                         });

// Rows of unequal positions in different slots, across tile (32) and chunk edges (L = 300 with
// few rows: 2 chunks of 160, decode_plan.hpp).
const std::vector<std::int32_t> kPos = {0, 5, 31, 32, 33, 159, 160, 161, 250, 299};
const std::vector<std::int32_t> kSlot = {0, 1, 2, 0, 1, 2, 1, 0, 2, 1};

TEST_P(CudaDecodeOps, RopeAtMatchesHost) {
  const auto [H, KVH, D] = GetParam();
  const I R = static_cast<I>(kPos.size()), L = 300, W = (H + 2 * KVH) * D;
  const cudaStream_t s = this->s();
  Buf<float> d_cos(L * D / 2), d_sin(L * D / 2);
  cu::rope_table(d_cos.get(), d_sin.get(), L, D, 10000.0, s);
  const auto cos_t = d_cos.download(), sin_t = d_sin.download();  // the host op uses the same tables
  std::vector<float> hc(L * D / 2), hs(L * D / 2);
  host::rope_table<float>(hc.data(), hs.data(), L, D, 10000.0);
  expect_close("rope cos table", cos_t, hc, 1e-6);
  expect_close("rope sin table", sin_t, hs, 1e-6);
  auto qkv = randn_bf16(R * W, 1);
  Buf<bf> d_qkv(qkv);
  Buf<std::int32_t> d_pos(kPos);
  cu::rope_at_forward(d_qkv.get(), d_cos.get(), d_sin.get(), d_pos.get(), R, H, KVH, D, s);
  host::rope_at_forward<float>(qkv.data(), cos_t.data(), sin_t.data(), kPos.data(), R, H, KVH, D);
  const auto got = d_qkv.download();
  expect_close("rope_at qkv", got, qkv, kFwdTol);
  // v is not rotated: bit for bit what went in.
  const auto v_in = randn_bf16(R * W, 1);
  for (I r = 0; r < R; ++r)
    for (I i = (H + KVH) * D; i < W; ++i)
      ASSERT_EQ(got[r * W + i], v_in[r * W + i]) << "row " << r << " v[" << i << "]";
}

TEST_P(CudaDecodeOps, KvCacheWriteMatchesHost) {
  const auto [H, KVH, D] = GetParam();
  const I R = static_cast<I>(kPos.size()), S = 3, L = 300, W = (H + 2 * KVH) * D, KD = KVH * D;
  const auto qkv = randn_bf16(R * W, 2);
  Buf<bf> d_qkv(qkv), d_k(S * L * KD), d_v(S * L * KD);  // caches NaN-poisoned
  Buf<std::int32_t> d_slot(kSlot), d_pos(kPos);
  cu::kv_cache_write(d_k.get(), d_v.get(), d_qkv.get(), d_slot.get(), d_pos.get(), R, L, H, KVH, D, nullptr);
  std::vector<float> hk(S * L * KD, 0.0f), hv(S * L * KD, 0.0f);
  host::kv_cache_write<float>(hk.data(), hv.data(), qkv.data(), kSlot.data(), kPos.data(), R, L, H, KVH, D);
  const auto gk = d_k.download(), gv = d_v.download();
  std::vector<bool> written(S * L, false);
  for (I r = 0; r < R; ++r) written[kSlot[r] * L + kPos[r]] = true;
  for (I e = 0; e < S * L; ++e)
    for (I i = 0; i < KD; ++i) {
      if (written[e]) {
        ASSERT_EQ(gk[e * KD + i], hk[e * KD + i]) << "k entry " << e << "[" << i << "]";
        ASSERT_EQ(gv[e * KD + i], hv[e * KD + i]) << "v entry " << e << "[" << i << "]";
      } else {  // nothing else touched: the poison is still there
        ASSERT_TRUE(std::isnan(gk[e * KD + i]) && std::isnan(gv[e * KD + i])) << "entry " << e << " overwritten";
      }
    }
}

// Random caches (every position of every slot), random queries; rows of unequal positions.
void check_attention(I H, I KVH, I D, const std::vector<std::int32_t>& slot, const std::vector<std::int32_t>& pos, I S,
                     I L, const char* what) {
  const I R = static_cast<I>(pos.size()), W = (H + 2 * KVH) * D, KD = KVH * D;
  const auto qkv = randn_bf16(R * W, 3), kc = randn_bf16(S * L * KD, 4), vc = randn_bf16(S * L * KD, 5);
  Buf<bf> d_qkv(qkv), d_k(kc), d_v(vc), d_out(R * H * D);
  Buf<float> d_ws(std::max<I>(1, cu::cached_attention_workspace(R, L, H, KVH, D)));
  Buf<std::int32_t> d_slot(slot), d_pos(pos);
  cu::cached_attention_forward(d_out.get(), d_ws.get(), d_qkv.get(), d_k.get(), d_v.get(), d_slot.get(), d_pos.get(), R,
                               L, H, KVH, D, nullptr);
  std::vector<float> out(R * H * D), scores(R * H * L);
  host::cached_attention_forward<float>(out.data(), scores.data(), qkv.data(), kc.data(), vc.data(), slot.data(),
                                        pos.data(), R, L, H, KVH, D);
  expect_close(what, d_out.download(), out, kFwdTol);
}

TEST_P(CudaDecodeOps, CachedAttentionSplitPathMatchesHost) {
  const auto [H, KVH, D] = GetParam();
  const I S = 3, L = 300;
  ASSERT_GT(cu::cached_attention_splits(static_cast<I>(kPos.size()), L, KVH), 1) << "the split + merge path";
  check_attention(H, KVH, D, kSlot, kPos, S, L, "cached attention (splits)");
}

TEST_P(CudaDecodeOps, CachedAttentionOneSplitMatchesHost) {
  const auto [H, KVH, D] = GetParam();
  // Enough rows that one split per row fills the GPU: a prefill of 300 rows of slot 1 (causal:
  // row t sees positions 0..t) plus decode rows of the other slots.
  const I S = 3, L = 300;
  std::vector<std::int32_t> slot, pos;
  for (std::int32_t t = 0; t < 300; ++t) slot.push_back(1), pos.push_back(t);
  for (std::int32_t t : {7, 299, 64}) slot.push_back(t % 2 == 0 ? 0 : 2), pos.push_back(t);
  ASSERT_EQ(cu::cached_attention_splits(static_cast<I>(pos.size()), L, KVH), 1) << "the direct path";
  check_attention(H, KVH, D, slot, pos, S, L, "cached attention (one split)");
}

TEST_P(CudaDecodeOps, CachedAttentionLongContextMatchesHost) {
  // Long rows (most splits) next to a row at position 0, batch 1 and batch 4.
  const auto [H, KVH, D] = GetParam();
  const I S = 4, L = 2048;
  check_attention(H, KVH, D, {2}, {2047}, S, L, "cached attention (batch 1, 2048 positions)");
  check_attention(H, KVH, D, {0, 1, 2, 3}, {1500, 0, 2047, 640}, S, L, "cached attention (batch 4)");
}

// ---- the decoder -----------------------------------------------------------------------------

m::ModelConfig small(m::Ffn ffn, bool bias, I kv, I vocab = 256) {
  return hermes::testing::small_model(ffn, bias, kv, {.width = 64, .ffn_hidden = 96, .context = 64, .vocab = vocab});
}

// bf16-exact weights from the training model's initialisation.
std::vector<float> init_weights(const m::ModelConfig& c, std::uint64_t seed) {
  m::Transformer<float> t(c, 1, 8);
  t.init(seed);
  std::vector<float> p(t.params(), t.params() + t.num_params());
  for (auto& x : p) x = round_bf16(x);
  return p;
}

class CudaDecoder : public hermes::testing::gpu::GpuTestWithParam<int> {};
INSTANTIATE_TEST_SUITE_P(Gpt2AndLlama, CudaDecoder, ::testing::Values(0, 1),
                         [](const ::testing::TestParamInfo<int>& i) { return i.param == 1 ? "llama" : "gpt2"; });

TEST_P(CudaDecoder, PrefillAndDecodeLogitsMatchHost) {
  const bool llama = GetParam() == 1;
  const auto c = llama ? small(m::Ffn::swiglu, false, 2) : small(m::Ffn::gelu, true, 4);
  const I V = c.vocab_size;
  const auto w = init_weights(c, 11);
  m::Decoder<double> ref(c, 3, c.context_length);
  cu::Decoder gpu(c, 3, c.context_length);
  ASSERT_EQ(gpu.num_params(), static_cast<I>(w.size()));
  std::copy(w.begin(), w.end(), ref.params());
  std::copy(w.begin(), w.end(), gpu.params());
  auto as_float = [](const double* p, I n) { return std::vector<float>(p, p + n); };
  auto copy = [](const float* p, I n) { return std::vector<float>(p, p + n); };
  // Prompts of different lengths in slots 2 and 0 (slot 1 stays empty).
  const std::vector<std::int32_t> p2 = {3, 17, 42, 5, 9, 1, 33, 200, 7}, p0 = {11, 12, 13};
  expect_close("prefill slot 2", copy(gpu.prefill(2, p2), V), as_float(ref.prefill(2, p2), V), 3e-2);
  expect_close("prefill slot 0", copy(gpu.prefill(0, p0), V), as_float(ref.prefill(0, p0), V), 3e-2);
  // Decode steps over both slots (positions differ by 6), then slot 2 alone.
  for (int step = 0; step < 12; ++step) {
    const std::vector<std::int32_t> slots = {0, 2}, tok = {static_cast<std::int32_t>((step * 29 + 4) % V),
                                                           static_cast<std::int32_t>((step * 53 + 9) % V)};
    const auto g = copy(gpu.forward(slots, tok), 2 * V);
    const auto h = as_float(ref.forward(slots, tok), 2 * V);
    expect_close(("decode step " + std::to_string(step)).c_str(), g, h, 3e-2);
  }
  const auto g = copy(gpu.forward({2}, {99}), V);
  expect_close("decode slot 2 alone", g, as_float(ref.forward({2}, {99}), V), 3e-2);
  EXPECT_EQ(gpu.length(0), ref.length(0));
  EXPECT_EQ(gpu.length(2), ref.length(2));
  EXPECT_EQ(gpu.length(1), 0);
  // Reset and reuse a slot: the old cache entries are overwritten, not attended.
  gpu.reset(2);
  ref.reset(2);
  expect_close("prefill after reset", copy(gpu.prefill(2, p0), V), as_float(ref.prefill(2, p0), V), 3e-2);
}

TEST_P(CudaDecoder, GraphReplayEqualsEager) {
  // Decode steps replayed from CUDA graphs run the same kernels and GEMM plans as eager ones:
  // the logits agree bit for bit. Rows 3, then 2 (each: eager, capture, replay), then 3 again
  // (replays of the first graph with new tokens and positions).
  const bool llama = GetParam() == 1;
  const auto c = llama ? small(m::Ffn::swiglu, false, 2) : small(m::Ffn::gelu, true, 4);
  const I V = c.vocab_size;
  const auto w = init_weights(c, 3);
  cu::Decoder eager(c, 3, c.context_length, 0, false), graphed(c, 3, c.context_length, 0, true);
  std::copy(w.begin(), w.end(), eager.params());
  std::copy(w.begin(), w.end(), graphed.params());
  for (int s = 0; s < 3; ++s) {
    const std::vector<std::int32_t> p(static_cast<std::size_t>(2 + 3 * s), static_cast<std::int32_t>(10 + s));
    eager.prefill(s, p);
    graphed.prefill(s, p);
  }
  for (int step = 0; step < 9; ++step) {
    std::vector<std::int32_t> slots = {0, 1, 2};
    if (step >= 3 && step < 6) slots = {0, 2};
    std::vector<std::int32_t> tok;
    for (auto sl : slots) tok.push_back(static_cast<std::int32_t>((step * 31 + sl * 7) % V));
    const I n = static_cast<I>(slots.size()) * V;
    const float* ge = eager.forward(slots, tok);
    const std::vector<float> want(ge, ge + n);
    const float* gg = graphed.forward(slots, tok);
    for (I i = 0; i < n; ++i) ASSERT_EQ(gg[i], want[i]) << "step " << step << " logit " << i;
  }
  EXPECT_TRUE(graphed.graphs()) << "capture failed: the decoder fell back to eager launches";
}

TEST_P(CudaDecoder, GreedyGenerationMatchesHost) {
  const bool llama = GetParam() == 1;
  const auto tok = hermes::tokenizer::Tokenizer::load(std::string(HERMES_SOURCE_DIR) +
                                                      "/tests/fixtures/tokenizer/hermes-trained/tokenizer.json");
  const I V = static_cast<I>(tok.vocab_size());
  const auto c = llama ? small(m::Ffn::swiglu, false, 2, V) : small(m::Ffn::gelu, true, 4, V);
  const auto w = init_weights(c, 5);
  hermes::generate::Generator on_host(c, tok, 4), on_gpu(c, tok, 4, hermes::backend::Kind::cuda, 0);
  ASSERT_EQ(on_gpu.decoder().backend(), hermes::backend::Kind::cuda);
  std::copy(w.begin(), w.end(), on_host.decoder().params());
  std::copy(w.begin(), w.end(), on_gpu.decoder().params());
  std::vector<hermes::generate::Request> reqs;
  for (std::size_t n : {3u, 11u, 7u, 20u, 5u}) {
    hermes::generate::Request r;
    for (std::size_t i = 0; i < n; ++i) r.prompt.push_back(static_cast<std::int32_t>(20 + (i * 37 + n) % 900));
    r.max_tokens = 8;
    r.sampling = hermes::generate::Sampling{0.0, 0, 1.0};
    reqs.push_back(r);
  }
  const auto want = on_host.run(reqs), got = on_gpu.run(reqs);
  ASSERT_EQ(got.size(), want.size());
  // Where the tokens part, the host's logits there must be a near tie between the two choices
  // (bf16 arithmetic may pick the other one); everything before must agree exactly.
  m::Decoder<float> probe(c, 1, c.context_length);
  std::copy(w.begin(), w.end(), probe.params());
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    const auto& a = want[i].tokens;
    const auto& b = got[i].tokens;
    std::size_t k = 0;
    while (k < a.size() && k < b.size() && a[k] == b[k]) ++k;
    if (k == a.size() && k == b.size()) {
      EXPECT_EQ(got[i].finish_reason, want[i].finish_reason) << "request " << i;
      continue;
    }
    // The choices at k: a token, or the end token where that run stopped (max_tokens is the same
    // for both, so a shorter run ended on <|endoftext|>).
    auto choice = [&](const std::vector<std::int32_t>& t) { return k < t.size() ? t[k] : on_host.end_id(); };
    const std::int32_t ha = choice(a), gb = choice(b);
    probe.reset(0);
    std::vector<std::int32_t> seq = reqs[i].prompt;
    seq.insert(seq.end(), a.begin(), a.begin() + static_cast<std::ptrdiff_t>(k));
    const float* lg = probe.prefill(0, seq);
    const auto [lo, hi] = std::minmax_element(lg, lg + V);
    EXPECT_LE(lg[ha] - lg[gb], 0.02f * (*hi - *lo))
        << "request " << i << " token " << k << ": host " << ha << " gpu " << gb << " is not a near tie";
  }
}

}  // namespace
