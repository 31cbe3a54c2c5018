// The tool-call scorer: one case per outcome class, plus the parsing details it relies on.
#include <gtest/gtest.h>

#include "hermes/generate/tool_eval.hpp"

using hermes::generate::score_turn;
using hermes::generate::ToolOutcome;

namespace {
const std::string ref_call =
    "<think>need the calculator</think>\n<tool_call>{\"name\": \"calculator\", \"arguments\": {\"expression\": \"2 + "
    "3\"}}</tool_call>";
}

TEST(GenerateToolEval, OutcomeClasses) {
  EXPECT_EQ(score_turn(ref_call,
                       "<think>x</think><tool_call>{\"arguments\": {\"expression\": \"2 + 3\"}, \"name\": "
                       "\"calculator\"}</tool_call>"),
            ToolOutcome::correct);  // key order does not matter
  EXPECT_EQ(score_turn(ref_call,
                       "<tool_call>{\"name\": \"calculator\", \"arguments\": {\"expression\": \"2+3\"}}</tool_call>"),
            ToolOutcome::wrong_arguments);
  EXPECT_EQ(
      score_turn(
          ref_call,
          "<tool_call>{\"name\": \"calculator\", \"arguments\": {\"expression\": \"2 + 3\", \"x\": 1}}</tool_call>"),
      ToolOutcome::wrong_arguments);  // an extra argument is not exactly right
  EXPECT_EQ(
      score_turn(ref_call,
                 "<tool_call>{\"name\": \"word_frequency\", \"arguments\": {\"expression\": \"2 + 3\"}}</tool_call>"),
      ToolOutcome::wrong_tool);
  EXPECT_EQ(score_turn(ref_call, "<tool_call>{\"name\": \"calculator\", \"arguments\": {</tool_call>"),
            ToolOutcome::malformed);
  EXPECT_EQ(score_turn(ref_call, "<tool_call>{\"name\": \"calculator\", \"arguments\": {\"expression\": \"2 + 3\"}}"),
            ToolOutcome::malformed);  // never closed
  EXPECT_EQ(score_turn(ref_call, "<tool_call>{\"arguments\": {}}</tool_call>"), ToolOutcome::malformed);  // no name
  EXPECT_EQ(score_turn(ref_call, "The answer is 5."), ToolOutcome::no_call);
  const std::string answer = "<think>done</think>\nThe result is 5.";
  EXPECT_EQ(score_turn(answer, "It is 5."), ToolOutcome::no_call_correct);
  EXPECT_EQ(score_turn(answer, "<tool_call>{\"name\": \"calculator\", \"arguments\": {}}</tool_call>"),
            ToolOutcome::spurious_call);
  EXPECT_EQ(score_turn(answer, "<tool_call>garbage"), ToolOutcome::spurious_call);
}

TEST(GenerateToolEval, ArgumentsGivenAsAJsonString) {
  EXPECT_EQ(
      score_turn(
          ref_call,
          "<tool_call>{\"name\": \"calculator\", \"arguments\": \"{\\\"expression\\\": \\\"2 + 3\\\"}\"}</tool_call>"),
      ToolOutcome::correct);
}

TEST(GenerateToolEval, TableAndJsonRates) {
  hermes::generate::ToolReport r;
  auto& t = r["single_turn"];
  t.n[static_cast<int>(ToolOutcome::correct)] = 3;
  t.n[static_cast<int>(ToolOutcome::wrong_arguments)] = 1;
  t.n[static_cast<int>(ToolOutcome::no_call)] = 4;
  t.n[static_cast<int>(ToolOutcome::no_call_correct)] = 1;
  t.n[static_cast<int>(ToolOutcome::spurious_call)] = 1;
  const auto j = hermes::generate::tool_report_json(r);
  EXPECT_EQ(j["single_turn"]["call_turns"], 8);
  EXPECT_DOUBLE_EQ(j["single_turn"]["exact_arguments_rate"].get<double>(), 3.0 / 8);
  EXPECT_DOUBLE_EQ(j["single_turn"]["right_tool_rate"].get<double>(), 4.0 / 8);
  EXPECT_DOUBLE_EQ(j["single_turn"]["no_call_correct_rate"].get<double>(), 0.5);
  const auto table = hermes::generate::format_tool_table(r);
  EXPECT_NE(table.find("single_turn"), std::string::npos);
  EXPECT_NE(table.find("37.5"), std::string::npos);  // exact arguments 3 of 8
}
