#pragma once
// The tool-calling evaluation: each assistant turn of a held-out ShareGPT conversation is
// generated from the context before it and scored against the reference turn.
//   Reference with a <tool_call>:  correct | wrong_arguments | wrong_tool | malformed (a
//                                  <tool_call> that is unclosed, or whose JSON does not parse or
//                                  lacks "name") | no_call
//   Reference without one (a final answer, or a relevance case where no tool fits):
//                                  no_call_correct | spurious_call
// Only the first <tool_call> of each side is compared; arguments must be equal as JSON values.
#include <array>
#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace hermes::generate {

enum class ToolOutcome { correct, wrong_arguments, wrong_tool, malformed, no_call, no_call_correct, spurious_call };
inline constexpr std::size_t kToolOutcomes = 7;
const char* outcome_name(ToolOutcome o);

struct ParsedCall {
  bool present = false;  // a "<tool_call>" tag opens somewhere
  bool closed = false;   // ... and closes
  bool parsed = false;   // its body parses as a JSON object with a string "name"
  std::string name;
  nlohmann::json arguments;  // null when absent
};
ParsedCall parse_tool_call(const std::string& text);

ToolOutcome score_turn(const std::string& reference, const std::string& generated);

// Counts per scenario category (and "all").
struct ToolTally {
  std::array<std::uint64_t, kToolOutcomes> n{};
  std::uint64_t call_turns() const;   // reference makes a call
  std::uint64_t plain_turns() const;  // reference makes none
};
using ToolReport = std::map<std::string, ToolTally>;

// The table printed by the evaluate stage (one row per category, then "all").
std::string format_tool_table(const ToolReport& report);
nlohmann::json tool_report_json(const ToolReport& report);

}  // namespace hermes::generate
