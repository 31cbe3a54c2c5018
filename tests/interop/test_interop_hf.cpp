// HuggingFace export against an independent reader: tests/interop/hf_reference.py loads the
// exported directory (config.json + model.safetensors) into a Llama written from HuggingFace's
// modelling code in PyTorch and must reproduce hermes's logits at every position; it also
// renders the exported chat template with jinja2 and must get exactly hermes's chat text.
// Reported as skipped when /usr/bin/python3 lacks torch.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../support/export_model.hpp"
#include "../support/temp_dir.hpp"
#include "hermes/interop/export.hpp"
#include "hermes/tokenizer/chat_template.hpp"

using namespace hermes;

namespace {

std::string run(const std::string& cmd, int& rc) {
  rc = std::system((cmd + " > hf_out.txt 2>&1").c_str());
  std::ifstream in("hf_out.txt");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

nlohmann::json chat_cases() {
  nlohmann::json cases = nlohmann::json::array();
  const std::string tools = R"([{"name": "add", "description": "Add two numbers", "parameters": {"type": "object"}}])";
  auto add = [&](std::vector<tokenizer::Message> msgs, const std::string& tool_json, bool gen) {
    tokenizer::Conversation c{msgs, tool_json};
    nlohmann::json m = nlohmann::json::array();
    for (const auto& x : msgs) m.push_back({{"role", x.role}, {"content", x.content}});
    cases.push_back({{"messages", m},
                     {"tools", tool_json.empty() ? nlohmann::json() : nlohmann::json(tool_json)},
                     {"add_generation_prompt", gen},
                     {"expected", gen ? tokenizer::render_generation_prompt(c) : tokenizer::render(c).text}});
  };
  add({{"user", "What is 3 + 4?"}}, "", true);
  add({{"system", "You are terse."},
       {"user", "Add 2 and 40."},
       {"assistant", "<tool_call>\n{\"name\": \"add\"}\n</tool_call>"},
       {"tool", "<tool_response>42</tool_response>"},
       {"assistant", "42"}},
      tools, false);
  add({{"user", "Bonjour, ça va ?"}, {"assistant", "Oui."}}, tools, true);
  add({{"system", ""}, {"user", "hi"}}, tools, true);
  add({{"system", "Only system"}}, "", false);
  return cases;
}

}  // namespace

class HfReference : public ::testing::TestWithParam<std::tuple<bool, const char*>> {};

TEST_P(HfReference, LogitsAndChatTemplateAgree) {
  if (std::system("/usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1") != 0) {
    std::printf("SKIPPED: /usr/bin/python3 lacks torch or numpy (apt-get install python3-torch)\n");
    GTEST_SKIP() << "SKIPPED: /usr/bin/python3 lacks torch";
  }
  const auto [bias, dtype] = GetParam();
  test::TempDir dir;
  const auto ckpt = dir / "model.h5";
  const auto m = hermes::testing::write_export_checkpoint(ckpt, bias, 2);
  interop::ExportRequest r{ckpt, "hf", dtype, dir / "hf"};
  interop::export_model(r);

  const auto tok = tokenizer::Tokenizer::load(hermes::testing::fixture_tokenizer_path());
  nlohmann::json seqs = nlohmann::json::array();
  for (const std::string text :
       {"<|user|>What is 3 + 4?<|endoftext|><|assistant|>", "Hello world, 2024 tokens!", "x"}) {
    const auto ids32 = tok.encode(text);
    std::vector<std::int32_t> ids(ids32.begin(), ids32.end());
    const auto logits = hermes::testing::host_logits(m.config, m.weights, ids);
    nlohmann::json rows = nlohmann::json::array();
    for (std::size_t t = 0; t < ids.size(); ++t)
      rows.push_back(
          std::vector<float>(logits.begin() + t * m.config.vocab_size, logits.begin() + (t + 1) * m.config.vocab_size));
    seqs.push_back({{"tokens", ids}, {"logits", rows}});
  }
  std::ofstream(dir / "logits.json") << nlohmann::json{{"sequences", seqs}}.dump();
  std::ofstream(dir / "chat_cases.json") << nlohmann::json{{"cases", chat_cases()}}.dump();
  int rc = 0;
  const std::string out = run("/usr/bin/python3 " HERMES_SOURCE_DIR "/tests/interop/hf_reference.py " +
                                  (dir / "hf").string() + " " + (dir / "logits.json").string(),
                              rc);
  std::printf("%s", out.c_str());
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("\nAGREE"), std::string::npos) << out;
  if (std::system("/usr/bin/python3 -c 'import jinja2' >/dev/null 2>&1") == 0)
    EXPECT_NE(out.find("chat template: 5 cases render identically"), std::string::npos) << out;
}

INSTANTIATE_TEST_SUITE_P(Exports, HfReference,
                         ::testing::Values(std::make_tuple(false, "fp32"), std::make_tuple(true, "fp32"),
                                           std::make_tuple(false, "bf16")));
