// Export -> import -> export gives byte-identical files; an imported checkpoint generates exactly
// what the original did; a HuggingFace directory in SmolLM's layout (tied, grouped-query, sharded
// bf16) imports; and every damaged or foreign directory is one error naming the file and tensor.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "../support/export_model.hpp"
#include "../support/temp_dir.hpp"
#include "hermes/core/error.hpp"
#include "hermes/generate/generator.hpp"
#include "hermes/interop/export.hpp"
#include "hermes/interop/import.hpp"
#include "hermes/interop/layout.hpp"
#include "hermes/interop/safetensors.hpp"

using namespace hermes;
using namespace hermes::interop;
namespace fs = std::filesystem;

namespace {

std::string bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

void expect_one_line(const std::string& m, std::initializer_list<std::string> needles) {
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  for (const auto& n : needles) EXPECT_NE(m.find(n), std::string::npos) << "message lacks '" << n << "': " << m;
}

std::vector<std::int32_t> greedy(const fs::path& checkpoint, const std::vector<std::int32_t>& prompt) {
  const auto w = read_checkpoint_weights(checkpoint);
  const auto tok = tokenizer::Tokenizer::load(hermes::testing::fixture_tokenizer_path());
  generate::Generator gen(w.header.model, tok, 1);
  auto& dec = gen.decoder();
  for (const auto& [name, t] : w.tensors) std::copy(t.begin(), t.end(), dec.params() + dec.param_offset(name));
  generate::Request r;
  r.prompt = prompt;
  r.max_tokens = 24;
  r.sampling.temperature = 0;
  return gen.run({r})[0].tokens;
}

// Copies an exported HF directory, lets `edit` damage it, and returns import's error.
std::string import_error(const test::TempDir& dir, const std::string& name,
                         const std::function<void(const fs::path&)>& edit) {
  const fs::path d = dir / name;
  fs::copy(dir / "hf", d, fs::copy_options::recursive);
  edit(d);
  return error_of([&] { import_hf(d, dir / (name + "_out")); });
}

// Rewrites a safetensors file after `edit` changed its tensors.
void edit_tensors(const fs::path& file, const std::function<void(std::map<std::string, StTensor>&)>& edit) {
  auto t = read_safetensors(file);
  edit(t);
  std::vector<StTensor> v;
  for (auto& [name, x] : t) v.push_back(x);
  write_safetensors(file, v);
}

}  // namespace

class InteropRoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(InteropRoundTrip, ExportImportExportIsByteIdentical) {
  const std::string dtype = GetParam();
  test::TempDir dir;
  hermes::testing::write_export_checkpoint(dir / "orig.h5", true, 2);
  export_model({dir / "orig.h5", "hf", dtype, dir / "a"});
  const auto s = import_hf(dir / "a", dir / "imported");
  EXPECT_EQ(s.config.n_kv_head, 2);
  EXPECT_TRUE(s.config.bias);
  export_model({s.checkpoint, "hf", dtype, dir / "b"});
  for (const char* f : {"model.safetensors", "config.json", "generation_config.json", "tokenizer.json",
                        "tokenizer_config.json", "special_tokens_map.json"})
    EXPECT_EQ(bytes_of(dir / "a" / f), bytes_of(dir / "b" / f)) << f;
  // The GGUF of the imported checkpoint equals the GGUF of the original (same weights, same tokenizer).
  if (dtype == std::string("fp32")) {
    export_model({dir / "orig.h5", "gguf", "q8_0", dir / "orig.gguf"});
    export_model({s.checkpoint, "gguf", "q8_0", dir / "imported.gguf"});
    // general.name differs (the imported deck names the directory): compare the tensor data only.
    const auto a = bytes_of(dir / "orig.gguf"), b = bytes_of(dir / "imported.gguf");
    ASSERT_GT(a.size(), 100000u);
    EXPECT_EQ(a.substr(a.size() - 100000), b.substr(b.size() - 100000));
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, InteropRoundTrip, ::testing::Values("fp32", "bf16"));

TEST(InteropImport, ImportedCheckpointGeneratesWhatTheOriginalDid) {
  test::TempDir dir;
  const auto m = hermes::testing::write_export_checkpoint(dir / "orig.h5", false, 4);
  export_model({dir / "orig.h5", "hf", "fp32", dir / "hf"});
  const auto s = import_hf(dir / "hf", dir / "imported");
  const auto back = read_checkpoint_weights(s.checkpoint);
  for (const auto& [name, t] : m.weights) EXPECT_EQ(back.tensors.at(name), t) << name;
  const std::vector<std::int32_t> prompt = {4, 300, 301, 302, 2, 5};
  const auto a = greedy(dir / "orig.h5", prompt), b = greedy(s.checkpoint, prompt);
  EXPECT_EQ(a.size(), 24u);
  EXPECT_EQ(a, b);
  // The deck fragment is a deck hermes reads, naming the checkpoint to continue from.
  const std::string deck = bytes_of(s.deck);
  EXPECT_NE(deck.find("init_from = "), std::string::npos) << deck;
  EXPECT_NE(deck.find("ffn = \"swiglu\""), std::string::npos) << deck;
  EXPECT_NE(deck.find("rope_theta = 10000.0"), std::string::npos) << deck;
}

// A directory as HuggingFace publishes SmolLM-135M (tied embeddings, 3 KV heads for 9 query heads,
// no biases, its own tokenizer with Digits + ByteLevel), here sharded into two bf16 files.
TEST(InteropImport, SmolLmLayoutShardedBf16) {
  test::TempDir dir;
  const fs::path d = dir / "smol";
  fs::create_directories(d);
  const auto tok = tokenizer::Tokenizer::load(hermes::testing::fixture_tokenizer_path("hf-smollm-style"));
  const std::int64_t V = static_cast<std::int64_t>(tok.vocab_size()), C = 72, F = 96, L = 2;
  std::ofstream(d / "config.json") << fmt::format(
      R"({{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": {}, "hidden_size": {},
  "intermediate_size": {}, "num_hidden_layers": {}, "num_attention_heads": 9, "num_key_value_heads": 3,
  "max_position_embeddings": 256, "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "rope_scaling": null,
  "tie_word_embeddings": true, "hidden_act": "silu", "torch_dtype": "bfloat16"}})",
      V, C, F, L);
  fs::copy_file(hermes::testing::fixture_tokenizer_path("hf-smollm-style"), d / "tokenizer.json");
  const auto c = config_from_hf(d / "config.json");
  std::vector<StTensor> shard[2];
  nlohmann::json map;
  float x = 0.001f;
  for (const auto& p : tensor_pieces(c)) {
    std::int64_t n = 1;
    for (auto e : p.shape) n *= e;
    std::vector<float> v(static_cast<std::size_t>(n));
    for (auto& e : v) e = (x = x * 1.37f > 0.5f ? 0.001f : x * 1.37f);
    const int k = p.hf.find("layers.1.") != std::string::npos ? 1 : 0;
    shard[k].push_back(make_tensor(p.hf, StDType::bf16, p.shape, v.data()));
    map[p.hf] = fmt::format("model-0000{}-of-00002.safetensors", k + 1);
  }
  for (int k = 0; k < 2; ++k) write_safetensors(d / fmt::format("model-0000{}-of-00002.safetensors", k + 1), shard[k]);
  std::ofstream(d / "model.safetensors.index.json") << nlohmann::json{{"metadata", {}}, {"weight_map", map}}.dump();
  const auto s = import_hf(d, dir / "out");
  EXPECT_EQ(s.config.n_head, 9);
  EXPECT_EQ(s.config.n_kv_head, 3);
  EXPECT_EQ(s.source_dtype, "BF16");
  // Every value arrives exactly (bf16 widens to fp32 without rounding).
  const auto back = read_checkpoint_weights(s.checkpoint);
  const auto all = read_safetensors_dir(d);
  const auto q = all.at("model.layers.1.self_attn.k_proj.weight").to_float();
  const auto& qkv = back.tensors.at("layers.1.attn.qkv.weight");
  EXPECT_TRUE(std::equal(q.begin(), q.end(), qkv.begin() + C * C));
  // llama.cpp knows this tokenizer's pre-tokenizer as "smollm".
  export_model({s.checkpoint, "gguf", "f32", dir / "smol.gguf"});
  EXPECT_GT(fs::file_size(dir / "smol.gguf"), 0u);
}

TEST(InteropImport, DamagedOrForeignDirectoriesAreOneLineErrors) {
  test::TempDir dir;
  hermes::testing::write_export_checkpoint(dir / "orig.h5", false, 2);
  export_model({dir / "orig.h5", "hf", "fp32", dir / "hf"});
  const std::string st = "model.safetensors";
  expect_one_line(import_error(dir, "notok", [](const fs::path& d) { fs::remove(d / "tokenizer.json"); }),
                  {"tokenizer.json", "missing"});
  expect_one_line(
      import_error(dir, "trunc", [&](const fs::path& d) { fs::resize_file(d / st, fs::file_size(d / st) - 100); }),
      {st, "truncated"});
  expect_one_line(import_error(dir, "missing",
                               [&](const fs::path& d) {
                                 edit_tensors(d / st, [](auto& t) { t.erase("model.layers.1.mlp.up_proj.weight"); });
                               }),
                  {st, "model.layers.1.mlp.up_proj.weight", "missing"});
  expect_one_line(import_error(dir, "shape",
                               [&](const fs::path& d) {
                                 edit_tensors(d / st, [](auto& t) {
                                   auto& w = t.at("model.layers.0.self_attn.o_proj.weight");
                                   w.shape[0] /= 2;  // same bytes, another shape
                                   w.shape[1] *= 2;
                                 });
                               }),
                  {st, "o_proj.weight", "shape"});
  expect_one_line(import_error(dir, "extra",
                               [&](const fs::path& d) {
                                 edit_tensors(d / st, [](auto& t) {
                                   const std::vector<float> z(64, 0.0f);
                                   const std::string name = "model.layers.0.self_attn.q_norm.weight";
                                   t.emplace(name, make_tensor(name, StDType::f32, {64}, z.data()));
                                 });
                               }),
                  {st, "q_norm.weight", "not part of a Llama model"});
  expect_one_line(import_error(dir, "head",
                               [&](const fs::path& d) {
                                 edit_tensors(d / st, [](auto& t) {
                                   auto head = t.at("model.embed_tokens.weight");
                                   head.name = "lm_head.weight";
                                   head.bytes[0] ^= 0x40;  // one bit off the tied embedding
                                   t.emplace(head.name, head);
                                 });
                               }),
                  {st, "lm_head.weight", "differs"});
  expect_one_line(import_error(dir, "arch",
                               [&](const fs::path& d) {
                                 std::ofstream(d / "config.json")
                                     << R"({"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2"})";
                               }),
                  {"config.json", "not a Llama model"});
  expect_one_line(error_of([&] { import_hf(dir / "nothing", dir / "o"); }), {"nothing", "not a directory"});
}

TEST(InteropExport, RefusalsComeBeforeAnyFileIsWritten) {
  test::TempDir dir;
  hermes::testing::write_export_checkpoint(dir / "m.h5", false, 2);
  expect_one_line(error_of([&] { export_model({dir / "m.h5", "onnx", "", dir / "x"}); }), {"onnx", "hf", "gguf"});
  expect_one_line(error_of([&] { export_model({dir / "m.h5", "hf", "q8_0", dir / "x"}); }), {"q8_0", "fp32"});
  expect_one_line(error_of([&] {
                    export_model({dir / "absent.h5", "gguf", "", dir / "x.gguf"});
                  }),
                  {"absent.h5", "does not exist"});
  EXPECT_FALSE(fs::exists(dir / "x"));
  EXPECT_FALSE(fs::exists(dir / "x.gguf"));
  // A tokenizer whose pre-tokenizer llama.cpp does not know is refused for GGUF, with the fix.
  auto j = nlohmann::json::parse(bytes_of(hermes::testing::fixture_tokenizer_path()));
  j["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       {{{"type", "Split"}, {"pattern", {{"Regex", "\\w+"}}}, {"behavior", "Isolated"}, {"invert", false}},
        {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}}}};
  std::ofstream(dir / "odd.json") << j.dump();
  auto ck = io::read_checkpoint_header(dir / "m.h5");
  const auto v = vocab_info(j.dump(), ck.model.vocab_size, "odd");
  EXPECT_EQ(v.gguf_pre, "");
  EXPECT_EQ(vocab_info(bytes_of(hermes::testing::fixture_tokenizer_path()), ck.model.vocab_size, "x").gguf_pre,
            "gpt-2");
  EXPECT_EQ(vocab_info(bytes_of(hermes::testing::fixture_tokenizer_path("hermes-trained-llama3")), 2000, "x").gguf_pre,
            "llama-bpe");
  EXPECT_EQ(vocab_info(bytes_of(hermes::testing::fixture_tokenizer_path("hf-smollm-style")), 2000, "x").gguf_pre,
            "smollm");
}
