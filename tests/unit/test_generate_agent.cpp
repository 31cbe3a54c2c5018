// The agent loop and its evaluation, driven by scripted turn writers instead of a model: a writer
// that replays the reference's own turns must solve every held-out conversation (its calls,
// executed by the shared backends, give back the facts the reference answer states), and writers
// that get one thing wrong must fail exactly the requests they spoil.
#include <gtest/gtest.h>

#include <algorithm>

#include "hermes/data/random.hpp"
#include "hermes/data/synth.hpp"
#include "hermes/generate/agent.hpp"

namespace gen = hermes::generate;
namespace tok = hermes::tokenizer;

namespace {

std::vector<gen::AgentCase> heldout(std::size_t n) {
  std::vector<gen::AgentCase> cases;
  for (std::size_t i = 0; i < n; ++i) {
    const auto j = hermes::data::synth_heldout_conversation(hermes::data::derive_seed(1337, "synth"), i);
    cases.push_back({tok::conversation_from_sharegpt(j.dump(), "case"), j["scenario_category"].get<std::string>()});
  }
  return cases;
}

std::size_t user_turns(const tok::Conversation& c) {
  std::size_t n = 0;
  for (const auto& m : c.messages) n += m.role == "human";
  return n;
}

// Replays the reference: the k-th assistant turn the writer is asked for in a conversation is
// the k-th assistant turn of its reference, passed through `edit`.
gen::TurnWriter replay(const std::vector<gen::AgentCase>& cases, std::function<std::string(std::string)> edit) {
  auto next = std::make_shared<std::map<std::string, std::size_t>>();
  return [&cases, next, edit](const std::vector<const tok::Conversation*>& convs) {
    std::vector<std::string> out;
    for (const auto* c : convs) {
      // The conversation is found by its first request, which is unique in the held-out sample.
      const auto& first = c->messages.at(1).content;
      const gen::AgentCase* ref = nullptr;
      for (const auto& k : cases)
        if (k.reference.messages.at(1).content == first) ref = &k;
      EXPECT_NE(ref, nullptr);
      std::size_t& k = (*next)[first];
      std::size_t seen = 0;
      std::string text = "(no more turns)";
      for (const auto& m : ref->reference.messages)
        if (m.role == "gpt" && seen++ == k) text = m.content;
      ++k;
      out.push_back(edit(text));
    }
    return out;
  };
}

}  // namespace

TEST(GenerateAgent, StatesFactAsAWholeToken) {
  EXPECT_TRUE(gen::states_fact("12 atoms weigh 83.28 u.", "83.28"));
  EXPECT_TRUE(gen::states_fact("It is 12.", "12"));  // a full stop ends the number
  EXPECT_FALSE(gen::states_fact("It is 125.", "12"));
  EXPECT_FALSE(gen::states_fact("It is 12.5 u", "12"));
  EXPECT_FALSE(gen::states_fact("It is 0.12 u", "12"));
  EXPECT_FALSE(gen::states_fact("the 2023-08-12 deadline", "08"));  // a piece of a date is not the number
  EXPECT_TRUE(gen::states_fact("2023-08-04, a Friday.", "Friday"));
  EXPECT_FALSE(gen::states_fact("Argon (Ar)", "A"));
  EXPECT_TRUE(gen::states_fact("Argon (Ar)", "Ar"));
  EXPECT_FALSE(gen::states_fact("", "1"));
  EXPECT_FALSE(gen::states_fact("1", ""));
}

TEST(GenerateAgent, FactsAreWhatTheToolsAddedToTheAnswer) {
  const std::vector<nlohmann::json> contents = {
      {{"expression", "6.94 * 12"}, {"result", 83.28}},
  };
  // The expression is in the request; only the result is a fact.
  EXPECT_EQ(gen::answer_facts("What is 6.94 * 12?", contents, "6.94 * 12 = 83.28."), std::vector<std::string>{"83.28"});
  const std::vector<nlohmann::json> element = {
      {{"atomic_mass", 39.95}, {"atomic_number", 18}, {"name", "Argon"}, {"symbol", "Ar"}}};
  EXPECT_EQ(gen::answer_facts("What is the atomic number of Argon?", element, "Argon (Ar) has atomic number 18."),
            (std::vector<std::string>{"18", "Ar"}));
}

TEST(GenerateAgent, ToolCallsAreAnsweredInTheCorpusFormat) {
  tok::Conversation conv;
  std::string why;
  const auto text = gen::answer_tool_call(conv,
                                          "<think>x</think>\n<tool_call>\n{\"name\": \"calculator\", \"arguments\": "
                                          "{\"expression\": \"2 + 3\"}}\n</tool_call>",
                                          &why);
  EXPECT_TRUE(why.empty());
  EXPECT_EQ(text,
            "<tool_response>\n{\"name\": \"calculator\", \"content\": {\"expression\": \"2 + 3\", \"result\": "
            "5.0}}\n</tool_response>");  // as the corpus writes results
  ASSERT_EQ(conv.messages.size(), 1u);
  EXPECT_EQ(conv.messages[0].role, "tool");
  EXPECT_EQ(gen::answer_tool_call(conv, "Just an answer.", &why), "");
  EXPECT_TRUE(why.empty());
  EXPECT_EQ(gen::answer_tool_call(conv, "<tool_call>{\"name\": \"weather\", \"arguments\": {}}</tool_call>", &why), "");
  EXPECT_NE(why.find("no backend"), std::string::npos);
  EXPECT_EQ(gen::answer_tool_call(conv, "<tool_call>{\"name\": </tool_call>", &why), "");
  EXPECT_NE(why.find("malformed"), std::string::npos);
  EXPECT_EQ(conv.messages.size(), 1u);  // nothing appended for the three
}

TEST(GenerateAgent, ReplayingTheReferenceSolvesEveryConversation) {
  const auto cases = heldout(60);
  std::size_t requests = 0;
  for (const auto& c : cases) requests += user_turns(c.reference);
  std::vector<nlohmann::json> transcripts;
  const auto report = gen::run_agent_eval(replay(cases, [](std::string s) { return s; }), cases, 4, &transcripts);
  const auto& all = report.at("all");
  EXPECT_EQ(all.conversations, cases.size());
  EXPECT_EQ(all.conversations_solved, cases.size());
  EXPECT_EQ(all.requests, requests);
  EXPECT_EQ(all.requests_solved, requests);
  EXPECT_GT(all.tool_calls, cases.size());  // multi-step cases call twice
  EXPECT_EQ(all.tool_errors, 0u);
  for (const auto& cat : hermes::data::kScenarioCategories) EXPECT_GT(report.count(cat), 0u) << cat;
  ASSERT_EQ(transcripts.size(), cases.size());
  // The transcript holds the reference's tool turns, byte for byte: the shared backends and format.
  for (std::size_t i = 0; i < cases.size(); ++i) {
    std::vector<std::string> ref_tools, got_tools;
    for (const auto& m : cases[i].reference.messages)
      if (m.role == "tool") ref_tools.push_back(m.content);
    for (const auto& t : transcripts[i]["turns"])
      if (t["from"] == "tool") got_tools.push_back(t["value"]);
    EXPECT_EQ(got_tools, ref_tools) << "case " << i;
  }
}

TEST(GenerateAgent, WrongFactsAndEndlessCallsFail) {
  const auto cases = heldout(60);
  // Every digit 7 of a final answer becomes 8: exactly the requests with a fact holding a 7 fail.
  const auto spoil = [](std::string s) {
    if (s.find("<tool_call>") == std::string::npos) std::replace(s.begin(), s.end(), '7', '8');
    return s;
  };
  std::vector<nlohmann::json> transcripts;
  const auto report = gen::run_agent_eval(replay(cases, spoil), cases, 4, &transcripts);
  std::size_t expected = 0, with_seven = 0;
  for (const auto& t : transcripts)
    for (const auto& r : t["requests"]) {
      bool seven = false;
      for (const auto& f : r["facts"]) seven = seven || f.get<std::string>().find('7') != std::string::npos;
      with_seven += seven;
      expected += !seven;
      EXPECT_EQ(r["solved"].get<bool>(), !seven) << t.dump();
    }
  EXPECT_GT(with_seven, 5u);
  EXPECT_EQ(report.at("all").requests_solved, expected);
  // Relevance cases have no facts, so they stay solved.
  EXPECT_EQ(report.at("relevance").requests_solved, report.at("relevance").requests);

  // A writer that calls the calculator whatever is asked fails every relevance request, and never
  // stops calling, so each request ends after max_rounds turns.
  const auto always_call = [](const std::vector<const tok::Conversation*>& convs) {
    return std::vector<std::string>(
        convs.size(),
        "<tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\": \"1 + 1\"}}\n</tool_call>");
  };
  const auto r2 = gen::run_agent_eval(always_call, cases, 3, nullptr);
  EXPECT_EQ(r2.at("relevance").requests_solved, 0u);
  EXPECT_EQ(r2.at("all").tool_calls, 3 * r2.at("all").requests);
  EXPECT_EQ(r2.at("all").conversations_solved, 0u);
}
