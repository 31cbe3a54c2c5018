// The Generator's backend seam: make_decode_model(host) is model::Decoder<float> behind the
// DecodeModel interface (same logits, bit for bit, through prefill and decode steps), and asking
// for the CUDA decoder in a build without CUDA is a hermes::Error that says how to fix it.
#include <gtest/gtest.h>

#include "hermes/backend/select.hpp"
#include "hermes/core/error.hpp"
#include "hermes/generate/decode_model.hpp"
#include "hermes/model/decoder.hpp"
#include "hermes/model/transformer.hpp"

namespace {
hermes::model::ModelConfig small() {
  hermes::model::ModelConfig c;
  c.vocab_size = 256;
  c.n_layer = 2;
  c.n_embd = 32;
  c.n_head = 4;
  c.n_kv_head = 2;
  c.ffn_hidden = 48;
  c.context_length = 24;
  c.ffn = hermes::model::Ffn::swiglu;
  return c;
}
}  // namespace

TEST(GenerateDecodeModel, HostModelIsTheHostDecoder) {
  const auto c = small();
  hermes::model::Transformer<float> init(c, 1, 8);
  init.init(4);
  auto dm = hermes::generate::make_decode_model(hermes::backend::Kind::host, c, 2, c.context_length);
  hermes::model::Decoder<float> ref(c, 2, c.context_length);
  ASSERT_EQ(dm->backend(), hermes::backend::Kind::host);
  ASSERT_EQ(dm->num_params(), ref.num_params());
  EXPECT_EQ(dm->param_offset("final_norm.weight"), ref.param_offset("final_norm.weight"));
  EXPECT_EQ(dm->context(), c.context_length);
  EXPECT_EQ(dm->max_slots(), 2);
  std::copy(init.params(), init.params() + init.num_params(), dm->params());
  std::copy(init.params(), init.params() + init.num_params(), ref.params());
  const std::int64_t V = c.vocab_size;
  auto same = [&](const float* a, const float* b, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(a[i], b[i]) << "logit " << i;
  };
  same(dm->prefill(1, {5, 6, 7, 8}), ref.prefill(1, {5, 6, 7, 8}), V);
  same(dm->prefill(0, {9}), ref.prefill(0, {9}), V);
  for (int s = 0; s < 5; ++s) same(dm->forward({0, 1}, {s, s + 40}), ref.forward({0, 1}, {s, s + 40}), 2 * V);
  EXPECT_EQ(dm->length(0), 6);
  EXPECT_EQ(dm->length(1), 9);
  dm->reset(1);
  EXPECT_EQ(dm->length(1), 0);
}

TEST(GenerateDecodeModel, CudaWithoutCudaBuildIsAnError) {
  if (hermes::backend::built_with_cuda())
    GTEST_SKIP() << "a CUDA build: tests/gpu/test_cuda_decode covers the GPU decoder";
  try {
    hermes::generate::make_decode_model(hermes::backend::Kind::cuda, small(), 1, 8);
    FAIL() << "no error";
  } catch (const hermes::Error& e) {
    EXPECT_NE(std::string(e.what()).find("built without CUDA"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("parallel.backend"), std::string::npos) << e.what();
  }
}
