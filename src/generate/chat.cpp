#include "hermes/generate/chat.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "hermes/core/error.hpp"
#include "hermes/core/files.hpp"
#include "hermes/data/random.hpp"
#include "hermes/data/synth_tools.hpp"
#include "hermes/generate/line_input.hpp"
#include "hermes/generate/load.hpp"
#include "hermes/generate/agent.hpp"
#include "hermes/tokenizer/chat_template.hpp"

namespace hermes::generate {

namespace {

std::string tools_json(const std::string& file) {
  if (file.empty()) return "";
  if (file == "synth") {
    auto arr = nlohmann::json::array();
    for (const auto& n : data::synth_tool_names()) arr.push_back(data::synth_tool_schema(n));
    return arr.dump();
  }
  const auto j = nlohmann::json::parse(
      read_file(file, "--tools file", "give a JSON array of tool schemas or \"synth\" to --tools"), nullptr, false);
  if (j.is_discarded() || !j.is_array())
    fail("--tools {}: not a JSON array of tool schemas ({{\"type\": \"function\", \"function\": {{...}}}})", file);
  return j.dump();
}

}  // namespace

int run_chat(const deck::Deck& d, const ChatOptions& options, std::istream& in, std::ostream& out) {
  auto m = load_model(d, 1);
  auto& gen = *m->generator;
  const auto& g = d.generate;
  tokenizer::Conversation conv;
  conv.tools_json = tools_json(options.tools_file);
  auto start = [&] {
    conv.messages.clear();
    if (!options.system.empty()) conv.messages.push_back({"system", options.system});
  };
  start();
  std::uint64_t seed = g.seed > 0 ? static_cast<std::uint64_t>(g.seed)
                                  : data::derive_seed(static_cast<std::uint64_t>(d.run.seed), "chat");
  out << "hermes chat: " << m->header.model.preset << " from " << m->checkpoint.string() << " (step "
      << m->header.state.step << "), temperature " << g.temperature << ", top_k " << g.top_k << ", top_p " << g.top_p
      << (conv.tools_json.empty() ? "" : ", tools on") << "\n/reset starts over, /exit quits";
  LineInput input(in, out);
  out << (input.editing() ? "; arrow keys edit, up/down and Ctrl-R recall earlier lines\n" : "\n");
  for (;;) {
    const auto next = input.read("> ");
    if (!next) break;
    const std::string& line = *next;
    if (line == "/exit") break;
    if (line == "/reset") {
      start();
      out << "(conversation reset)\n";
      continue;
    }
    if (line.empty()) continue;
    conv.messages.push_back({"human", line});
    // An assistant turn, then (when it calls a known tool) the tool's answer and another turn.
    for (int round = 0; round < 4; ++round) {
      Request r;
      for (auto t : m->tok.encode_chat(tokenizer::render_generation_prompt(conv)))
        r.prompt.push_back(static_cast<std::int32_t>(t));
      if (gen.fit_prompt(r.prompt, g.max_tokens) > 0)
        out << "(the conversation is longer than the context; its start is dropped)\n";
      r.max_tokens = g.max_tokens;
      r.sampling = {g.temperature, g.top_k, g.top_p};
      r.seed = seed = data::derive_seed(seed, "turn");
      r.stop = g.stop;
      out << "assistant: " << std::flush;
      const auto res = gen.run({r}, [&](std::size_t, const std::string& piece) { out << piece << std::flush; });
      out << "\n";
      conv.messages.push_back({"gpt", res[0].text});
      std::string why;
      const auto response = answer_tool_call(conv, res[0].text, &why);
      if (!why.empty()) out << "[" << why << "]\n";
      if (response.empty()) break;
      out << "tool: " << response << "\n";
    }
  }
  out << "bye\n";
  return 0;
}

}  // namespace hermes::generate
