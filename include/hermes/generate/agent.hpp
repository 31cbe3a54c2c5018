#pragma once
// The model as an agent: it writes its turn; a <tool_call> naming one of the synthetic tools is
// executed by the corpus generator's own backends (data::run_synth_tool) and answered with a
// tool turn in the corpus format (data::synth_tool_turn); the model goes on until it answers
// without a call. `hermes chat --tools synth` and the agent evaluation share this loop.
//
// The agent evaluation replays held-out conversations this way: the user's requests come from
// the reference, every other turn is the model's own (greedy). A request is solved when
//   - its reference calls tools: the model's final answer states every fact the reference answer
//     took from a tool response (a result, date, weekday, count, symbol or mass; as a whole
//     token, so "12" is not found in "125"), leaving out what the user's own words already hold;
//   - its reference calls none (a relevance case): the model calls none either.
// Either way the model's last turn must be an answer, not a call still waiting when the request's
// turns (max_rounds) ran out. A conversation is solved when all of its requests are.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hermes/generate/generator.hpp"
#include "hermes/tokenizer/chat_template.hpp"

namespace hermes::generate {

// Appends the tool turn answering `assistant_text` to `conv` when that text calls a synthetic
// tool, and returns its text; returns "" (and appends nothing) when the text holds no call, a
// malformed call, or a call of a tool with no backend (`why` then says which, for a person).
std::string answer_tool_call(tokenizer::Conversation& conv, const std::string& assistant_text, std::string* why);

// One held-out conversation and its scenario category.
struct AgentCase {
  tokenizer::Conversation reference;
  std::string category;
};

// The facts a reference answer took from the tool responses before it: every value of their
// `content` objects (numbers as data::format_number writes them) that the answer states as a
// whole token and the request does not.
std::vector<std::string> answer_facts(const std::string& request, const std::vector<nlohmann::json>& tool_contents,
                                      const std::string& answer);
// Whether `text` holds `fact` as a whole token: not inside a longer word or number.
bool states_fact(const std::string& text, const std::string& fact);

struct AgentTally {
  std::uint64_t conversations = 0, conversations_solved = 0;
  std::uint64_t requests = 0, requests_solved = 0;
  std::uint64_t tool_calls = 0;   // calls the model made
  std::uint64_t tool_errors = 0;  // ... malformed, of no known tool, or answered {"error": ...}
  AgentTally& operator+=(const AgentTally& t);
};
using AgentReport = std::map<std::string, AgentTally>;  // per category, and "all"

// Writes the next assistant turn of each conversation given (all of them in one batch).
using TurnWriter = std::function<std::vector<std::string>(const std::vector<const tokenizer::Conversation*>&)>;

// The evaluation's writer: greedy decoding with `gen`, stopping after a </tool_call> (kept) or
// at the end token; `truncated` (when given) counts prompts cut to fit the context.
// `progress` (optional) advances by every turn written.
TurnWriter greedy_turn_writer(Generator& gen, const tokenizer::Tokenizer& tok, std::int64_t max_tokens,
                              std::uint64_t* truncated = nullptr, Progress* progress = nullptr);

// Runs every case (all of them advance together, one batch of turns per round) and tallies them.
// transcripts, when given, receives one JSON object per case: the model's turns, the tool turns,
// and each request's facts and verdict.
// `progress` (optional) is set to the conversations finished after every round.
AgentReport run_agent_eval(const TurnWriter& write, const std::vector<AgentCase>& cases, int max_rounds,
                           std::vector<nlohmann::json>* transcripts = nullptr, Progress* progress = nullptr);

std::string format_agent_table(const AgentReport& report);
nlohmann::json agent_report_json(const AgentReport& report);

}  // namespace hermes::generate
