// The exchange formats' building blocks: number conversions, safetensors reading and writing
// (with the damaged-file battery), the GGUF container, the RoPE row permutation, the tensor
// mapping and the config.json refusals. Whole-model agreement with llama.cpp and with a
// HuggingFace-style reference lives in tests/interop/.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include "../support/temp_dir.hpp"
#include "hermes/core/error.hpp"
#include "hermes/interop/gguf.hpp"
#include "hermes/interop/import.hpp"
#include "hermes/interop/layout.hpp"
#include "hermes/interop/numeric.hpp"
#include "hermes/interop/safetensors.hpp"

using namespace hermes;
using namespace hermes::interop;

namespace {

// Expects `f` to throw a hermes::Error whose one-line message contains every needle.
template <class F>
void expect_error(F&& f, std::initializer_list<std::string> needles) {
  try {
    f();
    ADD_FAILURE() << "no error thrown";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    for (const auto& n : needles) EXPECT_NE(m.find(n), std::string::npos) << "message lacks '" << n << "': " << m;
  }
}

std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST(InteropNumeric, HalfAndBfloatRoundToNearestEven) {
  EXPECT_EQ(to_f16(1.0f), 0x3c00);
  EXPECT_EQ(to_f16(-2.0f), 0xc000);
  EXPECT_EQ(to_f16(65504.0f), 0x7bff);
  EXPECT_EQ(to_f16(1e6f), 0x7c00);                // overflow: inf
  EXPECT_EQ(to_f16(5.9604645e-8f), 0x0001);       // smallest subnormal
  EXPECT_EQ(to_f16(1.0f + 1.0f / 2048), 0x3c00);  // halfway: ties to even
  EXPECT_EQ(to_f16(1.0f + 3.0f / 2048), 0x3c02);
  EXPECT_EQ(to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(to_bf16(bits_float(0x3f808000u)), 0x3f80);  // halfway: ties to even
  EXPECT_EQ(to_bf16(bits_float(0x3f818000u)), 0x3f82);
  EXPECT_TRUE(std::isnan(from_bf16(to_bf16(std::nanf("")))));
  std::mt19937 rng(3);
  std::normal_distribution<float> n(0.0f, 3.0f);
  for (int i = 0; i < 10000; ++i) {
    const float x = n(rng);
    EXPECT_EQ(from_f16(to_f16(from_f16(to_f16(x)))), from_f16(to_f16(x)));  // exact once representable
    EXPECT_LE(std::fabs(from_f16(to_f16(x)) - x), std::fabs(x) * 4.9e-4f + 6e-8f);
    EXPECT_LE(std::fabs(from_bf16(to_bf16(x)) - x), std::fabs(x) * 3.9e-3f);
  }
}

TEST(InteropNumeric, Q8BlocksKeepEveryValueWithinAboutHalfAStep) {
  std::mt19937 rng(5);
  std::normal_distribution<float> n(0.0f, 0.1f);
  std::vector<float> x(256);
  for (auto& v : x) v = n(rng);
  x[40] = 0.0f;
  std::fill(x.begin() + 64, x.begin() + 96, 0.0f);  // an all-zero block stays zero
  std::vector<std::uint8_t> q(256 / 32 * 34);
  quantize_q8_0(x.data(), 256, q.data());
  std::vector<float> y(256);
  dequantize_q8_0(q.data(), 256, y.data());
  for (int b = 0; b < 8; ++b) {
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b * 32 + j]));
    // Half a step from rounding, plus the fp16 scale's own rounding (2^-11 relative) times 127.
    for (int j = 0; j < 32; ++j) EXPECT_LE(std::fabs(y[b * 32 + j] - x[b * 32 + j]), amax / 127 * 0.57f + 1e-7f);
  }
  EXPECT_EQ(y[70], 0.0f);
}

TEST(InteropSafetensors, RoundTripsEveryDtype) {
  test::TempDir dir;
  std::vector<float> a = {1.5f, -2.25f, 3.0f, 0.0f, 1e-3f, 7.0f};
  std::vector<StTensor> ts = {make_tensor("a.weight", StDType::f32, {2, 3}, a.data()),
                              make_tensor("b", StDType::bf16, {6}, a.data()),
                              make_tensor("c", StDType::f16, {3, 2}, a.data())};
  write_safetensors(dir / "m.safetensors", ts);
  const auto bytes = read_bytes(dir / "m.safetensors");
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ((8 + n) % 8, 0u);  // data starts aligned
  const auto back = read_safetensors(dir / "m.safetensors");
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back.at("a.weight").shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(back.at("a.weight").to_float(), a);
  EXPECT_EQ(back.at("b").dtype, StDType::bf16);
  EXPECT_EQ(back.at("b").to_float()[1], -2.25f);
  EXPECT_NEAR(back.at("c").to_float()[4], 1e-3f, 1e-6f);
  // Writing what was read gives the same bytes.
  write_safetensors(dir / "again.safetensors", {back.at("a.weight"), back.at("b"), back.at("c")});
  EXPECT_EQ(read_bytes(dir / "again.safetensors"), bytes);
}

TEST(InteropSafetensors, DamagedFilesAreOneErrorNamingFileAndTensor) {
  test::TempDir dir;
  std::vector<float> a(12, 1.0f);
  write_safetensors(dir / "ok.safetensors", {make_tensor("w", StDType::f32, {3, 4}, a.data())});
  const std::string good = read_bytes(dir / "ok.safetensors");
  // Truncated data: the tensor's range passes the end.
  dir.write("short.safetensors", good.substr(0, good.size() - 5));
  expect_error([&] { read_safetensors(dir / "short.safetensors"); }, {"short.safetensors", "'w'", "truncated"});
  // Truncated inside the header.
  dir.write("cut.safetensors", good.substr(0, 20));
  expect_error([&] { read_safetensors(dir / "cut.safetensors"); }, {"cut.safetensors", "truncated"});
  auto with_header = [&](const std::string& name, const std::string& header, std::size_t data) {
    std::string h = header;
    h.append((8 - h.size() % 8) % 8, ' ');
    std::string f(8, '\0');
    const std::uint64_t n = h.size();
    std::memcpy(f.data(), &n, 8);
    f += h + std::string(data, '\0');
    return dir.write(name, f);
  };
  with_header("lie.safetensors", R"({"w":{"dtype":"F32","shape":[3,4],"data_offsets":[0,40]}})", 48);
  expect_error([&] { read_safetensors(dir / "lie.safetensors"); }, {"lie.safetensors", "'w'", "header lies"});
  with_header("int.safetensors", R"({"w":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}})", 16);
  expect_error([&] { read_safetensors(dir / "int.safetensors"); }, {"int.safetensors", "'w'", "I64"});
  with_header("json.safetensors", R"({"w":{"dtype":"F32",)", 16);
  expect_error([&] { read_safetensors(dir / "json.safetensors"); }, {"json.safetensors", "not valid JSON"});
  with_header("neg.safetensors", R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 16);
  expect_error([&] { read_safetensors(dir / "neg.safetensors"); }, {"neg.safetensors", "'w'", "shape"});
  expect_error([&] { read_safetensors(dir / "absent.safetensors"); }, {"absent.safetensors"});
}

TEST(InteropSafetensors, ShardedIndexNeedsEveryListedTensor) {
  test::TempDir dir;
  std::vector<float> a(4, 2.0f);
  write_safetensors(dir / "s1.safetensors", {make_tensor("x", StDType::f32, {4}, a.data())});
  write_safetensors(dir / "s2.safetensors", {make_tensor("y", StDType::bf16, {2, 2}, a.data())});
  dir.write("model.safetensors.index.json",
            R"({"metadata": {}, "weight_map": {"x": "s1.safetensors", "y": "s2.safetensors"}})");
  const auto all = read_safetensors_dir(dir.path());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all.at("y").to_float(), a);
  dir.write("model.safetensors.index.json", R"({"weight_map": {"x": "s1.safetensors", "z": "s2.safetensors"}})");
  expect_error([&] { read_safetensors_dir(dir.path()); }, {"s2.safetensors", "'z'", "missing"});
  dir.write("model.safetensors.index.json", R"({"weight_map": {"x": "../s1.safetensors"}})");
  expect_error([&] { read_safetensors_dir(dir.path()); }, {"index.json", "not a file in"});
}

// llama.cpp's RoPE rotates adjacent pairs; hermes's rotates halves. After the row permutation the
// two give the same attention scores, which is all attention uses q and k for.
TEST(InteropLayout, RopePermutationTurnsHalfPairingIntoAdjacentPairing) {
  const std::int64_t D = 8, heads = 2, cols = 5, pos = 7;
  std::mt19937 rng(9);
  std::normal_distribution<float> n;
  std::vector<float> wq(heads * D * cols), wk(heads * D * cols), x(cols);
  for (auto& v : wq) v = n(rng);
  for (auto& v : wk) v = n(rng);
  for (auto& v : x) v = n(rng);
  auto project = [&](const std::vector<float>& w) {
    std::vector<double> y(heads * D, 0.0);
    for (std::int64_t r = 0; r < heads * D; ++r)
      for (std::int64_t c = 0; c < cols; ++c) y[r] += w[r * cols + c] * x[c];
    return y;
  };
  auto theta = [&](std::int64_t i, std::int64_t p) { return p * std::pow(10000.0, -2.0 * i / D); };
  auto rope = [&](std::vector<double> y, std::int64_t p, bool adjacent) {
    for (std::int64_t h = 0; h < heads; ++h)
      for (std::int64_t i = 0; i < D / 2; ++i) {
        const std::int64_t a = h * D + (adjacent ? 2 * i : i), b = h * D + (adjacent ? 2 * i + 1 : i + D / 2);
        const double c = std::cos(theta(i, p)), s = std::sin(theta(i, p)), ya = y[a], yb = y[b];
        y[a] = ya * c - yb * s;
        y[b] = ya * s + yb * c;
      }
    return y;
  };
  auto scores = [&](const std::vector<double>& q, const std::vector<double>& k) {
    std::vector<double> s(heads, 0.0);
    for (std::int64_t h = 0; h < heads; ++h)
      for (std::int64_t d = 0; d < D; ++d) s[h] += q[h * D + d] * k[h * D + d];
    return s;
  };
  const auto ref = scores(rope(project(wq), pos, false), rope(project(wk), 3, false));
  const auto pq = permute_rope_rows(wq, heads, D, cols), pk = permute_rope_rows(wk, heads, D, cols);
  const auto got = scores(rope(project(pq), pos, true), rope(project(pk), 3, true));
  for (std::int64_t h = 0; h < heads; ++h) EXPECT_NEAR(got[h], ref[h], 1e-9 * (1 + std::fabs(ref[h])));
  // Without the permutation the pairing differs and so do the scores.
  const auto wrong = scores(rope(project(wq), pos, true), rope(project(wk), 3, true));
  EXPECT_GT(std::fabs(wrong[0] - ref[0]) + std::fabs(wrong[1] - ref[1]), 1e-3);
  EXPECT_EQ(unpermute_rope_rows(pq, heads, D, cols), wq);
}

TEST(InteropLayout, PiecesCoverEveryParameterExactlyOnce) {
  for (bool bias : {false, true}) {
    model::ModelConfig c = model::preset("llama-small");
    c.vocab_size = 300;
    c.n_layer = 2;
    c.bias = bias;
    std::map<std::string, std::int64_t> covered;
    for (const auto& p : tensor_pieces(c)) {
      std::int64_t n = 1;
      for (auto d : p.shape) n *= d;
      covered[p.hermes] += n;
    }
    const auto layout = model::parameter_layout(c);
    ASSERT_EQ(covered.size(), layout.size());
    for (const auto& s : layout) EXPECT_EQ(covered[s.name], s.numel()) << s.name;
  }
  expect_error([] { check_exportable(model::preset("tiny"), "ck.h5"); }, {"ck.h5", "gelu", "swiglu"});
}

TEST(InteropGguf, HeaderMetadataAndAlignedTensors) {
  test::TempDir dir;
  GgufWriter g(32);
  g.add_string("general.architecture", "llama");
  g.add_u32("llama.block_count", 2);
  g.add_strings("tokenizer.ggml.tokens", {"a", "bc"});
  std::vector<float> v(64, 0.5f);
  g.add_tensor("t0", {2, 32}, GgmlType::q8_0, ggml_encode(GgmlType::q8_0, v));
  g.add_tensor("t1", {3}, GgmlType::f32, ggml_encode(GgmlType::f32, {1, 2, 3}));
  g.add_tensor("t2", {4, 16}, GgmlType::f16, ggml_encode(GgmlType::f16, v));
  const auto bytes = g.write(dir / "m.gguf");
  const auto f = read_bytes(dir / "m.gguf");
  ASSERT_EQ(f.size(), bytes);
  EXPECT_EQ(f.substr(0, 4), "GGUF");
  std::uint32_t version;
  std::uint64_t tensors, kvs;
  std::memcpy(&version, f.data() + 4, 4);
  std::memcpy(&tensors, f.data() + 8, 8);
  std::memcpy(&kvs, f.data() + 16, 8);
  EXPECT_EQ(version, 3u);
  EXPECT_EQ(tensors, 3u);
  EXPECT_EQ(kvs, 4u);  // general.alignment comes first, always
  // The last tensor's bytes end the file, padded to the alignment.
  EXPECT_EQ(f.size() % 32, 0u);
  const std::size_t t2 = f.size() - 128;  // 64 f16 values
  std::uint16_t h;
  std::memcpy(&h, f.data() + t2, 2);
  EXPECT_EQ(from_f16(h), 0.5f);
}

TEST(InteropImport, ConfigRefusalsNameTheKey) {
  test::TempDir dir;
  const std::string base = R"("vocab_size": 300, "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "tie_word_embeddings": true)";
  auto cfg = [&](const std::string& extra) {
    return dir.write("config.json", "{\"architectures\": [\"LlamaForCausalLM\"], " + base + extra + "}");
  };
  cfg("");
  const auto c = config_from_hf(dir / "config.json");
  EXPECT_EQ(c.n_kv_head, 2);
  EXPECT_EQ(c.norm_eps, 1e-6);  // transformers' LlamaConfig default
  cfg(", \"hidden_act\": \"gelu\"");
  expect_error([&] { config_from_hf(dir / "config.json"); }, {"config.json", "hidden_act", "silu"});
  cfg(", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}");
  expect_error([&] { config_from_hf(dir / "config.json"); }, {"config.json", "rope_scaling"});
  cfg(", \"attention_bias\": true");
  expect_error([&] { config_from_hf(dir / "config.json"); }, {"config.json", "attention_bias", "mlp_bias"});
  cfg(", \"head_dim\": 32");
  expect_error([&] { config_from_hf(dir / "config.json"); }, {"config.json", "head_dim"});
  dir.write("config.json", "{\"architectures\": [\"Qwen2ForCausalLM\"], " + base + "}");
  expect_error([&] { config_from_hf(dir / "config.json"); }, {"config.json", "not a Llama model"});
  dir.write("config.json", "{\"model_type\": \"llama\", \"vocab_size\": 300}");
  expect_error([&] { config_from_hf(dir / "config.json"); }, {"config.json", "hidden_size", "missing"});
  dir.write(
      "config.json",
      "{\"model_type\": \"llama\", " +
          std::string(
              R"("vocab_size": 300, "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2, "num_attention_heads": 4})"));
  expect_error([&] { config_from_hf(dir / "config.json"); }, {"tie_word_embeddings"});
}
