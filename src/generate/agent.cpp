#include "hermes/generate/agent.hpp"

#include "hermes/core/progress.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "hermes/core/error.hpp"
#include "hermes/data/synth.hpp"
#include "hermes/data/synth_tools.hpp"
#include "hermes/generate/tool_eval.hpp"

namespace hermes::generate {
namespace {

using tokenizer::parse_role;
using tokenizer::Role;

// The `content` object of a tool turn's <tool_response> JSON; null when there is none.
nlohmann::json tool_content(const std::string& text) {
  static const std::string open = "<tool_response>", close = "</tool_response>";
  const auto a = text.find(open);
  const auto b = a == std::string::npos ? a : text.find(close, a + open.size());
  if (b == std::string::npos) return nullptr;
  const auto j = nlohmann::json::parse(text.substr(a + open.size(), b - a - open.size()), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("content")) return nullptr;
  return j["content"];
}

// A JSON scalar as the corpus prints it in prose.
std::string prose(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_number()) return data::format_number(v.get<double>());
  return {};
}

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// One user request of a reference conversation and what came after it.
struct UserRequest {
  std::string text;
  std::vector<nlohmann::json> tool_contents;
  std::string answer;  // the reference's last assistant turn of the request
};

std::vector<UserRequest> requests_of(const tokenizer::Conversation& c) {
  std::vector<UserRequest> out;
  for (const auto& m : c.messages) {
    const Role role = parse_role(m.role);
    if (role == Role::user) {
      out.push_back({m.content, {}, {}});
    } else if (!out.empty() && role == Role::tool) {
      auto content = tool_content(m.content);
      if (!content.is_null()) out.back().tool_contents.push_back(std::move(content));
    } else if (!out.empty() && role == Role::assistant) {
      out.back().answer = m.content;
    }
  }
  return out;
}

// A case in progress: the conversation the model sees, the request it is on, and its record.
struct Session {
  std::size_t index = 0;
  std::vector<UserRequest> requests;
  tokenizer::Conversation conv;
  std::size_t request = 0;
  int rounds = 0;
  bool called = false;        // the model called a tool during this request
  std::string answer;         // its last turn of this request
  bool answer_calls = false;  // ... holds a <tool_call> (no answer yet)
  bool solved = true;
  bool done = false;
  AgentTally tally;
  nlohmann::json record;
};

void start_request(Session& s) {
  s.conv.messages.push_back({"human", s.requests[s.request].text});
  s.record["turns"].push_back({{"from", "human"}, {"value", s.requests[s.request].text}});
  s.rounds = 0;
  s.called = false;
  s.answer.clear();
  s.answer_calls = false;
}

// Scores the request the session is on and moves to the next one (or ends the session).
void finish_request(Session& s) {
  const auto& r = s.requests[s.request];
  const auto facts = answer_facts(r.text, r.tool_contents, r.answer);
  bool ok;
  if (s.answer_calls) {
    ok = false;  // still calling when the turns ran out: no answer
  } else if (r.tool_contents.empty()) {
    ok = !s.called;  // nothing to call for: the model must not call either
  } else if (facts.empty()) {
    ok = s.called;  // the reference answer states nothing a tool gave; a call is all we can ask
  } else {
    ok = std::all_of(facts.begin(), facts.end(), [&](const std::string& f) { return states_fact(s.answer, f); });
  }
  s.tally.requests += 1;
  s.tally.requests_solved += ok;
  s.solved = s.solved && ok;
  s.record["requests"].push_back(
      {{"facts", facts}, {"expects_call", !r.tool_contents.empty()}, {"called", s.called}, {"solved", ok}});
  if (++s.request < s.requests.size()) {
    start_request(s);
  } else {
    s.done = true;
    s.tally.conversations = 1;
    s.tally.conversations_solved = s.solved;
    s.record["solved"] = s.solved;
  }
}

}  // namespace

bool states_fact(const std::string& text, const std::string& fact) {
  if (fact.empty()) return false;
  for (auto at = text.find(fact); at != std::string::npos; at = text.find(fact, at + 1)) {
    const auto end = at + fact.size();
    const bool left_ok =
        at == 0 || (!word_char(text[at - 1]) &&
                    !(text[at - 1] == '.' && at >= 2 && std::isdigit(static_cast<unsigned char>(text[at - 2]))) &&
                    !(text[at - 1] == '-' && std::isdigit(static_cast<unsigned char>(fact[0]))));
    // A number followed by ".5" is a longer number; followed by "." and a space it ends a sentence.
    const bool right_ok =
        end == text.size() || (!word_char(text[end]) && !(text[end] == '.' && end + 1 < text.size() &&
                                                          std::isdigit(static_cast<unsigned char>(text[end + 1]))));
    if (left_ok && right_ok) return true;
  }
  return false;
}

std::vector<std::string> answer_facts(const std::string& request, const std::vector<nlohmann::json>& tool_contents,
                                      const std::string& answer) {
  std::vector<std::string> facts;
  for (const auto& content : tool_contents) {
    if (!content.is_object()) continue;
    for (const auto& [key, value] : content.items()) {
      const auto s = prose(value);
      if (s.empty() || !states_fact(answer, s) || states_fact(request, s)) continue;
      if (std::find(facts.begin(), facts.end(), s) == facts.end()) facts.push_back(s);
    }
  }
  return facts;
}

namespace {
// answer_tool_call on a call already parsed; `failed` is set when the call could not be executed
// or its backend answered {"error": ...}.
std::string respond(tokenizer::Conversation& conv, const ParsedCall& call, std::string* why, bool* failed) {
  if (failed) *failed = call.present;
  if (!call.present) return {};
  if (!call.parsed) {
    if (why) *why = "tool call malformed";
    return {};
  }
  const auto& names = data::synth_tool_names();
  if (std::find(names.begin(), names.end(), call.name) == names.end()) {
    if (why) *why = fmt::format("tool call {} {}: no backend for this tool", call.name, call.arguments.dump());
    return {};
  }
  const auto content = data::run_synth_tool(call.name, call.arguments);
  if (failed) *failed = content.contains("error");
  auto text = data::synth_tool_turn(call.name, content);
  conv.messages.push_back({"tool", text});
  return text;
}
}  // namespace

std::string answer_tool_call(tokenizer::Conversation& conv, const std::string& assistant_text, std::string* why) {
  return respond(conv, parse_tool_call(assistant_text), why, nullptr);
}

TurnWriter greedy_turn_writer(Generator& gen, const tokenizer::Tokenizer& tok, std::int64_t max_tokens,
                              std::uint64_t* truncated, Progress* progress) {
  return [&gen, &tok, max_tokens, truncated, progress](const std::vector<const tokenizer::Conversation*>& convs) {
    std::vector<Request> reqs;
    for (const auto* c : convs) {
      Request r;
      for (auto t : tok.encode_chat(tokenizer::render_generation_prompt(*c)))
        r.prompt.push_back(static_cast<std::int32_t>(t));
      r.max_tokens = max_tokens;
      r.sampling.temperature = 0;
      r.stop = {"</tool_call>"};
      const bool cut = gen.fit_prompt(r.prompt, r.max_tokens) > 0;
      if (truncated) *truncated += cut;
      reqs.push_back(std::move(r));
    }
    const auto res = gen.run(reqs, {}, progress);
    std::vector<std::string> texts;
    for (const auto& r : res) texts.push_back(r.finish_reason == "stop" ? r.text + "</tool_call>" : r.text);
    return texts;
  };
}

AgentReport run_agent_eval(const TurnWriter& write, const std::vector<AgentCase>& cases, int max_rounds,
                           std::vector<nlohmann::json>* transcripts, Progress* progress) {
  std::vector<Session> sessions;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    Session s;
    s.index = i;
    s.requests = requests_of(cases[i].reference);
    if (s.requests.empty()) continue;
    for (const auto& m : cases[i].reference.messages)
      if (parse_role(m.role) == Role::system) s.conv.messages.push_back(m);
    s.conv.tools_json = cases[i].reference.tools_json;
    s.record = {{"case", i},
                {"category", cases[i].category},
                {"turns", nlohmann::json::array()},
                {"requests", nlohmann::json::array()}};
    start_request(s);
    sessions.push_back(std::move(s));
  }
  // Every live session gets one assistant turn per round, written in one batch.
  for (;;) {
    std::vector<Session*> live;
    std::vector<const tokenizer::Conversation*> convs;
    for (auto& s : sessions) {
      if (s.done) continue;
      live.push_back(&s);
      convs.push_back(&s.conv);
    }
    if (live.empty()) break;
    const auto texts = write(convs);
    HERMES_ASSERT(texts.size() == live.size());
    for (std::size_t k = 0; k < live.size(); ++k) {
      auto& s = *live[k];
      const auto& text = texts[k];
      s.conv.messages.push_back({"gpt", text});
      s.record["turns"].push_back({{"from", "gpt"}, {"value", text}});
      s.answer = text;
      s.rounds += 1;
      const auto call = parse_tool_call(text);
      s.answer_calls = call.present;
      s.called = s.called || call.present;
      bool failed = false;
      const auto response = respond(s.conv, call, nullptr, &failed);
      s.tally.tool_calls += call.present;
      s.tally.tool_errors += failed;
      if (!response.empty()) s.record["turns"].push_back({{"from", "tool"}, {"value", response}});
      if (response.empty() || s.rounds >= max_rounds) finish_request(s);
    }
    if (progress)
      progress->set(std::count_if(sessions.begin(), sessions.end(), [](const Session& s) { return s.done; }));
  }
  AgentReport report;
  for (auto& s : sessions) {
    report["all"] += s.tally;
    report[cases[s.index].category] += s.tally;
    if (transcripts) transcripts->push_back(std::move(s.record));
  }
  return report;
}

AgentTally& AgentTally::operator+=(const AgentTally& t) {
  conversations += t.conversations;
  conversations_solved += t.conversations_solved;
  requests += t.requests;
  requests_solved += t.requests_solved;
  tool_calls += t.tool_calls;
  tool_errors += t.tool_errors;
  return *this;
}

namespace {
double pct(std::uint64_t a, std::uint64_t b) {
  return b == 0 ? 0.0 : 100.0 * static_cast<double>(a) / static_cast<double>(b);
}
}  // namespace

std::string format_agent_table(const AgentReport& report) {
  std::string s = fmt::format("{:<12} {:>6} {:>9} {:>9} {:>9} {:>7} {:>8}\n", "category", "convs", "solved%",
                              "requests", "solved%", "calls", "errors%");
  for (const auto& [cat, t] : report)
    s += fmt::format("{:<12} {:>6} {:>9.1f} {:>9} {:>9.1f} {:>7} {:>8.1f}\n", cat, t.conversations,
                     pct(t.conversations_solved, t.conversations), t.requests, pct(t.requests_solved, t.requests),
                     t.tool_calls, pct(t.tool_errors, t.tool_calls));
  return s;
}

nlohmann::json agent_report_json(const AgentReport& report) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [cat, t] : report) {
    j[cat] = {
        {"conversations", t.conversations},
        {"conversations_solved", t.conversations_solved},
        {"requests", t.requests},
        {"requests_solved", t.requests_solved},
        {"tool_calls", t.tool_calls},
        {"tool_errors", t.tool_errors},
        {"conversation_rate", t.conversations ? static_cast<double>(t.conversations_solved) / t.conversations : 0.0},
        {"request_rate", t.requests ? static_cast<double>(t.requests_solved) / t.requests : 0.0}};
  }
  return j;
}

}  // namespace hermes::generate
