#include "hermes/generate/tool_eval.hpp"

#include <fmt/format.h>

namespace hermes::generate {

const char* outcome_name(ToolOutcome o) {
  static const char* names[] = {"correct", "wrong_arguments", "wrong_tool",   "malformed",
                                "no_call", "no_call_correct", "spurious_call"};
  return names[static_cast<std::size_t>(o)];
}

ParsedCall parse_tool_call(const std::string& text) {
  ParsedCall c;
  static const std::string open = "<tool_call>", close = "</tool_call>";
  const auto a = text.find(open);
  if (a == std::string::npos) return c;
  c.present = true;
  const auto b = text.find(close, a + open.size());
  if (b == std::string::npos) return c;
  c.closed = true;
  const auto body = nlohmann::json::parse(text.substr(a + open.size(), b - a - open.size()), nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("name") || !body["name"].is_string()) return c;
  c.parsed = true;
  c.name = body["name"].get<std::string>();
  c.arguments = body.contains("arguments") ? body["arguments"] : nlohmann::json();
  // Some writers send arguments as a JSON string; compare the value it holds.
  if (c.arguments.is_string()) {
    auto inner = nlohmann::json::parse(c.arguments.get<std::string>(), nullptr, false);
    if (!inner.is_discarded()) c.arguments = inner;
  }
  return c;
}

ToolOutcome score_turn(const std::string& reference, const std::string& generated) {
  const auto ref = parse_tool_call(reference);
  const auto gen = parse_tool_call(generated);
  if (!ref.present) return gen.present ? ToolOutcome::spurious_call : ToolOutcome::no_call_correct;
  if (!gen.present) return ToolOutcome::no_call;
  if (!gen.parsed) return ToolOutcome::malformed;
  if (gen.name != ref.name) return ToolOutcome::wrong_tool;
  return gen.arguments == ref.arguments ? ToolOutcome::correct : ToolOutcome::wrong_arguments;
}

std::uint64_t ToolTally::call_turns() const { return n[0] + n[1] + n[2] + n[3] + n[4]; }
std::uint64_t ToolTally::plain_turns() const { return n[5] + n[6]; }

namespace {
double pct(std::uint64_t a, std::uint64_t b) {
  return b == 0 ? 0.0 : 100.0 * static_cast<double>(a) / static_cast<double>(b);
}
}  // namespace

std::string format_tool_table(const ToolReport& report) {
  // Rates over turns whose reference calls a tool: well-formed (tag closed, JSON parses with a
  // name), right tool, exact arguments; over the other turns: correctly no call.
  std::string s = fmt::format("{:<12} {:>6} {:>10} {:>10} {:>10} {:>10} {:>6} {:>10}\n", "category", "calls", "formed%",
                              "tool%", "args%", "no_call%", "plain", "no_call_ok%");
  for (const auto& [cat, t] : report) {
    const auto calls = t.call_turns();
    const auto formed = t.n[0] + t.n[1] + t.n[2];
    const auto tool = t.n[0] + t.n[1];
    s += fmt::format("{:<12} {:>6} {:>10.1f} {:>10.1f} {:>10.1f} {:>10.1f} {:>6} {:>10.1f}\n", cat, calls,
                     pct(formed, calls), pct(tool, calls), pct(t.n[0], calls), pct(t.n[4], calls), t.plain_turns(),
                     pct(t.n[5], t.plain_turns()));
  }
  return s;
}

nlohmann::json tool_report_json(const ToolReport& report) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [cat, t] : report) {
    nlohmann::json c;
    for (std::size_t i = 0; i < kToolOutcomes; ++i) c[outcome_name(static_cast<ToolOutcome>(i))] = t.n[i];
    const auto calls = t.call_turns();
    c["call_turns"] = calls;
    c["plain_turns"] = t.plain_turns();
    c["well_formed_rate"] = calls ? static_cast<double>(t.n[0] + t.n[1] + t.n[2]) / calls : 0.0;
    c["right_tool_rate"] = calls ? static_cast<double>(t.n[0] + t.n[1]) / calls : 0.0;
    c["exact_arguments_rate"] = calls ? static_cast<double>(t.n[0]) / calls : 0.0;
    c["no_call_correct_rate"] = t.plain_turns() ? static_cast<double>(t.n[5]) / t.plain_turns() : 0.0;
    j[cat] = c;
  }
  return j;
}

}  // namespace hermes::generate
