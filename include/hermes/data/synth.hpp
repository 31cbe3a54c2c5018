#pragma once
// The synthetic agentic corpus: ShareGPT conversations in the schema of
// interstellarninja/hermes_reasoning_tool_use, generated deterministically from a seed.
//
// Record (one JSON object per line):
//   {"conversations": [{"from": "system"|"human"|"gpt"|"tool", "value": "..."}, ...],
//    "tools": "<JSON text: array of {type: function, function: {name, description, parameters}}>",
//    "task": "...", "category": "...", "source": "hermes-synth",
//    "scenario_category": "single_turn"|"multi_turn"|"multi_step"|"relevance"}
// The assistant ("gpt") reasons in <think>...</think>, calls tools as
// <tool_call>{"name": ..., "arguments": {...}}</tool_call>; tool turns hold
// <tool_response>{"name": ..., "content": {...}}</tool_response>. Every number in a final answer
// comes from running the tool backends (synth_tools.hpp), so answers are right.
//
// Conversation i depends only on (seed, i): any slice can be generated alone (ranks, evaluation).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hermes/data/synth_tools.hpp"

namespace hermes::data {

inline const std::vector<std::string> kScenarioCategories = {"single_turn", "multi_turn", "multi_step", "relevance"};

// The text of a tool turn answering `tool` with `content`, exactly as the corpus writes it
// (<tool_response>, a newline, {"name": ..., "content": ...} with ", "/": " separators, a
// newline, </tool_response>): what the chat and agent loops append after executing a call.
std::string synth_tool_turn(const std::string& tool, const nlohmann::json& content);

// Conversation `index` of the corpus generated from `seed`. Each tool exchange of a single- or
// multi-turn conversation calls a tool drawn from `tool_mix`, one share per entry: the default
// (synth_tool_names(), each tool once) draws them evenly; naming a tool twice doubles its share.
// Multi-step and relevance conversations, and the scenario mix, do not depend on it.
nlohmann::json synth_conversation(std::uint64_t seed, std::uint64_t index,
                                  const std::vector<std::string>& tool_mix = synth_tool_names());

// The held-out set for the tool-call evaluation: conversations from a seed stream of its own
// (derive_seed(seed, "synth-heldout")), so a model trained on the corpus of `seed` is scored on
// conversations it has not seen (same generator, different draws).
nlohmann::json synth_heldout_conversation(std::uint64_t seed, std::uint64_t index);

// A second held-out set whose requests are worded by templates the corpus never uses (the same
// scenario mix, tools, arguments, number ranges and answers; relevance cases ask for other
// things), from a seed stream of its own: the gap between a model's scores on this set and on
// synth_heldout_conversation says how far it generalises beyond the corpus's phrasings.
nlohmann::json synth_paraphrased_conversation(std::uint64_t seed, std::uint64_t index);

// Writes conversations [0, count) as JSONL (temporary name, then rename). Returns bytes written.
std::uint64_t write_synth_corpus(const std::filesystem::path& path, std::uint64_t seed, std::uint64_t count,
                                 const std::vector<std::string>& tool_mix = synth_tool_names());

}  // namespace hermes::data
