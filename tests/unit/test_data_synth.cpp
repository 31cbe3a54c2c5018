// The synthetic agentic corpus: schema, determinism, and answers checked by an evaluation written
// independently of the generator's backends (shunting-yard arithmetic, std::chrono dates, a unit
// table and element facts typed in here).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "hermes/data/synth.hpp"
#include "hermes/data/synth_tools.hpp"
#include "hermes/deck/deck.hpp"

using nlohmann::json;
using namespace hermes::data;

namespace {

// ---- independent evaluation -----------------------------------------------------------------
double shunting_yard(const std::string& s) {
  std::vector<double> values;
  std::vector<char> ops;
  auto prec = [](char op) { return op == '+' || op == '-' ? 1 : op == '*' || op == '/' ? 2 : op == 'n' ? 3 : 0; };
  auto apply = [&] {
    const char op = ops.back();
    ops.pop_back();
    if (op == 'n') {
      values.back() = -values.back();
      return;
    }
    const double b = values.back();
    values.pop_back();
    double& a = values.back();
    a = op == '+' ? a + b : op == '-' ? a - b : op == '*' ? a * b : a / b;
  };
  bool expect_operand = true;
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == ' ') {
      ++i;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      std::size_t used = 0;
      values.push_back(std::stod(s.substr(i), &used));
      i += used;
      expect_operand = false;
    } else if (c == '(') {
      ops.push_back(c), ++i;
    } else if (c == ')') {
      while (ops.back() != '(') apply();
      ops.pop_back(), ++i;
    } else {
      const char op = (c == '-' && expect_operand) ? 'n' : c;
      while (op != 'n' && !ops.empty() && ops.back() != '(' && prec(ops.back()) >= prec(op)) apply();
      ops.push_back(op), ++i;
      expect_operand = true;
    }
  }
  while (!ops.empty()) apply();
  EXPECT_EQ(values.size(), 1u) << s;
  return values.back();
}

std::map<std::string, std::pair<std::string, double>> unit_facts() {
  // symbol -> (dimension, metres/kilograms/litres per unit)
  return {{"m", {"L", 1}},       {"km", {"L", 1000}},       {"cm", {"L", 0.01}},
          {"mm", {"L", 0.001}},  {"mi", {"L", 1609.344}},   {"ft", {"L", 0.3048}},
          {"in", {"L", 0.0254}}, {"yd", {"L", 0.9144}},     {"kg", {"M", 1}},
          {"g", {"M", 0.001}},   {"lb", {"M", 0.45359237}}, {"oz", {"M", 0.45359237 / 16}},
          {"l", {"V", 1}},       {"ml", {"V", 0.001}},      {"gal", {"V", 231 * 0.0254 * 0.0254 * 0.0254 * 1000}}};
}

double convert_units_ref(double v, const std::string& from, const std::string& to) {
  auto celsius = [](double x, const std::string& u) { return u == "c" ? x : u == "f" ? (x - 32) / 1.8 : x - 273.15; };
  auto from_celsius = [](double x, const std::string& u) {
    return u == "c" ? x : u == "f" ? x * 1.8 + 32 : x + 273.15;
  };
  if (from == "c" || from == "f" || from == "k") return from_celsius(celsius(v, from), to);
  const auto t = unit_facts();
  EXPECT_EQ(t.at(from).first, t.at(to).first) << from << " -> " << to;
  return v * t.at(from).second / t.at(to).second;
}

std::chrono::sys_days parse_day(const std::string& s) {
  const int y = std::stoi(s.substr(0, 4));
  const unsigned m = static_cast<unsigned>(std::stoi(s.substr(5, 2))),
                 d = static_cast<unsigned>(std::stoi(s.substr(8, 2)));
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  EXPECT_TRUE(ymd.ok()) << s;
  return std::chrono::sys_days{ymd};
}

std::string day_text(std::chrono::sys_days day) {
  const std::chrono::year_month_day ymd{day};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

const std::map<std::string, std::pair<int, double>>& element_facts() {
  static const std::map<std::string, std::pair<int, double>> facts = {
      {"hydrogen", {1, 1.008}},     {"helium", {2, 4.003}},      {"lithium", {3, 6.94}},      {"carbon", {6, 12.011}},
      {"nitrogen", {7, 14.007}},    {"oxygen", {8, 15.999}},     {"fluorine", {9, 18.998}},   {"neon", {10, 20.180}},
      {"sodium", {11, 22.990}},     {"magnesium", {12, 24.305}}, {"aluminium", {13, 26.982}}, {"silicon", {14, 28.085}},
      {"phosphorus", {15, 30.974}}, {"sulfur", {16, 32.06}},     {"chlorine", {17, 35.45}},   {"argon", {18, 39.95}},
      {"potassium", {19, 39.098}},  {"calcium", {20, 40.078}},   {"iron", {26, 55.845}},      {"copper", {29, 63.546}},
      {"zinc", {30, 65.38}},        {"silver", {47, 107.87}},    {"gold", {79, 196.97}},      {"lead", {82, 207.2}}};
  return facts;
}

std::vector<double> numbers_in(const std::string& text) {
  std::vector<double> out;
  static const std::regex number(R"(-?\d+(\.\d+)?)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), number); it != std::sregex_iterator(); ++it)
    out.push_back(std::stod(it->str()));
  return out;
}

bool mentions(const std::string& text, double expected) {
  for (double v : numbers_in(text))
    if (std::abs(v - expected) <= 1e-4 * std::max(1.0, std::abs(expected))) return true;
  return false;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Recomputes a call's result; returns the values a correct answer or next call must carry.
std::vector<json> expected_values(const std::string& name, const json& args, const json& content) {
  if (name == "calculator") {
    const double r = shunting_yard(args.at("expression").get<std::string>());
    EXPECT_NEAR(content.at("result").get<double>(), r, 1e-4 * std::max(1.0, std::abs(r))) << args.dump();
    return {r};
  }
  if (name == "word_frequency") {
    const std::string word = lower(args.at("word").get<std::string>());
    const std::string text = lower(args.at("text").get<std::string>());
    std::int64_t n = 0;
    static const std::regex token("[a-z0-9]+");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), token); it != std::sregex_iterator(); ++it)
      n += it->str() == word;
    EXPECT_EQ(content.at("count").get<std::int64_t>(), n) << args.dump();
    return {n};
  }
  if (name == "convert_units") {
    const double r = convert_units_ref(args.at("value").get<double>(), lower(args.at("from_unit").get<std::string>()),
                                       lower(args.at("to_unit").get<std::string>()));
    EXPECT_NEAR(content.at("result").get<double>(), r, 1e-4 * std::max(1.0, std::abs(r))) << args.dump();
    return {r};
  }
  if (name == "date_calculator") {
    const auto start = parse_day(args.at("start_date").get<std::string>());
    if (args.at("operation") == "add_days") {
      const auto day = start + std::chrono::days{args.at("days").get<int>()};
      EXPECT_EQ(content.at("result_date").get<std::string>(), day_text(day)) << args.dump();
      const std::chrono::weekday wd{day};
      static const char* names[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
      EXPECT_EQ(content.at("weekday").get<std::string>(), names[wd.c_encoding()]);
      return {day_text(day)};
    }
    const auto days = (parse_day(args.at("end_date").get<std::string>()) - start).count();
    EXPECT_EQ(content.at("days").get<std::int64_t>(), days) << args.dump();
    return {days};
  }
  if (name == "element_lookup") {
    const std::string key = lower(args.at("element").get<std::string>());
    const std::string name_lc = lower(content.at("name").get<std::string>());
    EXPECT_TRUE(key == name_lc || key == lower(content.at("symbol").get<std::string>())) << args.dump();
    const auto& f = element_facts().at(name_lc);
    EXPECT_EQ(content.at("atomic_number").get<int>(), f.first);
    EXPECT_NEAR(content.at("atomic_mass").get<double>(), f.second, 0.002);
    return {content.at("atomic_number"), content.at("atomic_mass")};
  }
  ADD_FAILURE() << "unknown tool " << name;
  return {};
}

bool carries(const std::string& text, const std::vector<json>& values) {
  for (const auto& v : values) {
    if (v.is_string() ? text.find(v.get<std::string>()) != std::string::npos : mentions(text, v.get<double>()))
      return true;
  }
  return false;
}

std::string between(const std::string& text, const std::string& open, const std::string& close, std::size_t& pos) {
  const auto a = text.find(open, pos);
  if (a == std::string::npos) return pos = std::string::npos, "";
  const auto b = text.find(close, a);
  EXPECT_NE(b, std::string::npos) << "unclosed " << open << " in " << text;
  pos = b + close.size();
  return text.substr(a + open.size(), b - a - open.size());
}

}  // namespace

TEST(DataSynth, SchemaToolCallsAndAnswersCheckOut) {
  std::map<std::string, int> scenarios, tools_called;
  const int n = 600;
  for (int i = 0; i < n; ++i) {
    const json r = synth_conversation(20260101, static_cast<std::uint64_t>(i));
    SCOPED_TRACE("conversation " + std::to_string(i));
    for (const char* k : {"conversations", "tools", "task", "category", "source", "scenario_category"})
      ASSERT_TRUE(r.contains(k)) << k;
    ASSERT_TRUE(r["tools"].is_string());
    const std::string scenario = r["scenario_category"];
    scenarios[scenario]++;
    ASSERT_TRUE(scenario == "single_turn" || scenario == "multi_turn" || scenario == "multi_step" ||
                scenario == "relevance");
    const json tools = json::parse(r["tools"].get<std::string>());
    ASSERT_TRUE(tools.is_array());
    std::map<std::string, json> offered;
    for (const auto& t : tools) {
      ASSERT_EQ(t["type"], "function");
      offered[t["function"]["name"].get<std::string>()] = t["function"]["parameters"];
    }
    const auto& conv = r["conversations"];
    ASSERT_GE(conv.size(), 3u);
    EXPECT_EQ(conv[0]["from"], "system");
    int calls = 0;
    for (std::size_t m = 0; m < conv.size(); ++m) {
      const std::string from = conv[m]["from"], value = conv[m]["value"];
      ASSERT_TRUE(from == "system" || from == "human" || from == "gpt" || from == "tool") << from;
      if (from != "gpt") continue;
      const bool thinks = value.rfind("<think>\n", 0) == 0 && value.find("</think>") != std::string::npos;
      EXPECT_EQ(thinks, value.find("<tool_call>") != std::string::npos || scenario == "relevance")
          << "tool-calling turns and relevance replies reason first; plain answers do not: " << value;
      std::size_t pos = 0;
      const std::string call_text = between(value, "<tool_call>", "</tool_call>", pos);
      if (pos == std::string::npos) continue;
      ++calls;
      const json call = json::parse(call_text);  // throws (fails the test) when not valid JSON
      const std::string name = call.at("name");
      ASSERT_TRUE(offered.count(name)) << name << " not among the offered tools";
      const json& args = call.at("arguments");
      ASSERT_TRUE(args.is_object());
      for (const auto& req : offered[name]["required"]) EXPECT_TRUE(args.contains(req.get<std::string>())) << req;
      for (auto it = args.begin(); it != args.end(); ++it)
        EXPECT_TRUE(offered[name]["properties"].contains(it.key())) << "undeclared argument " << it.key();
      tools_called[name]++;
      // The response follows, answers this call, and is right.
      ASSERT_LT(m + 1, conv.size());
      ASSERT_EQ(conv[m + 1]["from"], "tool");
      std::size_t rpos = 0;
      const json response =
          json::parse(between(conv[m + 1]["value"].get<std::string>(), "<tool_response>", "</tool_response>", rpos));
      EXPECT_EQ(response.at("name"), name);
      ASSERT_FALSE(response["content"].contains("error")) << response.dump();
      const auto values = expected_values(name, args, response["content"]);
      // The next assistant turn uses the result: in its next call's arguments or its answer.
      ASSERT_LT(m + 2, conv.size());
      ASSERT_EQ(conv[m + 2]["from"], "gpt");
      const std::string next = conv[m + 2]["value"];
      std::size_t npos = 0;
      const std::string next_call = between(next, "<tool_call>", "</tool_call>", npos);
      EXPECT_TRUE(carries(npos == std::string::npos ? next : json::parse(next_call)["arguments"].dump(), values))
          << "result of " << call.dump() << " not carried into: " << next;
    }
    if (scenario == "relevance") EXPECT_EQ(calls, 0);
    if (scenario == "single_turn") EXPECT_EQ(calls, 1);
    if (scenario == "multi_turn" || scenario == "multi_step") EXPECT_GE(calls, 2);
    EXPECT_EQ(conv.back()["from"], "gpt");
  }
  for (const auto& s : kScenarioCategories) EXPECT_GT(scenarios[s], n / 20) << s;
  for (const auto& t : synth_tool_names()) EXPECT_GT(tools_called[t], 10) << t;
}

TEST(DataSynth, DeterministicFromSeed) {
  EXPECT_EQ(synth_conversation(7, 42).dump(), synth_conversation(7, 42).dump());
  int differ = 0;
  for (std::uint64_t i = 0; i < 20; ++i) differ += synth_conversation(7, i).dump() != synth_conversation(8, i).dump();
  EXPECT_GT(differ, 15);

  const auto dir = std::filesystem::temp_directory_path() / ("hermes_synth_" + std::to_string(::getpid()));
  write_synth_corpus(dir / "a.jsonl", 99, 50);
  write_synth_corpus(dir / "b.jsonl", 99, 50);
  auto slurp = [](const std::filesystem::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string a = slurp(dir / "a.jsonl");
  EXPECT_EQ(a, slurp(dir / "b.jsonl"));
  EXPECT_EQ(std::count(a.begin(), a.end(), '\n'), 50);
  EXPECT_FALSE(std::filesystem::exists(dir / "a.jsonl.tmp"));
  // Each line is one record whose first key is "conversations", as in the published dataset.
  EXPECT_EQ(a.rfind("{\"conversations\":", 0), 0u);
  std::filesystem::remove_all(dir);
}

namespace {
// The first tool a conversation's assistant calls.
std::string first_call(const json& record) {
  static const std::regex call("<tool_call>\\n\\{\"name\": \"(\\w+)\"");
  for (const auto& t : record["conversations"]) {
    std::smatch m;
    const std::string v = t["value"].get<std::string>();
    if (t["from"] == "gpt" && std::regex_search(v, m, call)) return m[1];
  }
  return "";
}
}  // namespace

TEST(DataSynth, ToolMixWeightsOnlyTheToolExchanges) {
  // The deck offers exactly the generator's tools, in its order.
  EXPECT_EQ(hermes::deck::kSynthTools, synth_tool_names());
  const std::vector<std::string> more_texts = {"calculator",    "word_frequency",  "word_frequency", "word_frequency",
                                               "convert_units", "date_calculator", "element_lookup"};
  const std::vector<std::string> only_calculator = {"calculator"};
  int single = 0, texts_default = 0, texts_mixed = 0;
  for (std::uint64_t i = 0; i < 4000; ++i) {
    const json plain = synth_conversation(3, i);
    const json mixed = synth_conversation(3, i, more_texts);
    const std::string scenario = plain["scenario_category"];
    // The scenario mix is drawn first and stays; multi-step and relevance never draw a tool.
    ASSERT_EQ(mixed["scenario_category"], scenario) << i;
    if (scenario == "multi_step" || scenario == "relevance") EXPECT_EQ(mixed.dump(), plain.dump()) << i;
    if (scenario == "single_turn" || scenario == "multi_turn")
      EXPECT_EQ(first_call(synth_conversation(3, i, only_calculator)), "calculator") << i;
    if (scenario != "single_turn") continue;
    ++single;
    texts_default += first_call(plain) == "word_frequency";
    texts_mixed += first_call(mixed) == "word_frequency";
  }
  // One share in five by default, three in seven with word_frequency named three times.
  ASSERT_GT(single, 1400);
  EXPECT_NEAR(static_cast<double>(texts_default) / single, 1.0 / 5, 0.05);
  EXPECT_NEAR(static_cast<double>(texts_mixed) / single, 3.0 / 7, 0.05);
  EXPECT_THROW(synth_conversation(3, 0, {}), std::invalid_argument);
}

TEST(DataSynth, ToolBackendsRejectBadCalls) {
  EXPECT_TRUE(run_synth_tool("calculator", {{"expression", "2 +"}}).contains("error"));
  EXPECT_TRUE(run_synth_tool("calculator", {{"expression", "1 / 0"}}).contains("error"));
  EXPECT_TRUE(
      run_synth_tool("convert_units", {{"value", 1}, {"from_unit", "kg"}, {"to_unit", "km"}}).contains("error"));
  EXPECT_TRUE(run_synth_tool("date_calculator", {{"operation", "add_days"}, {"start_date", "2023-02-29"}, {"days", 1}})
                  .contains("error"));
  EXPECT_TRUE(run_synth_tool("element_lookup", json::object()).contains("error"));
  EXPECT_TRUE(run_synth_tool("no_such_tool", json::object()).contains("error"));
  EXPECT_EQ(run_synth_tool("date_calculator",
                           {{"operation", "add_days"}, {"start_date", "2024-02-28"}, {"days", 1}})["result_date"],
            "2024-02-29");
  EXPECT_EQ(format_number(3.0), "3");
  EXPECT_EQ(format_number(2.5), "2.5");
  EXPECT_EQ(format_number(1.0 / 3.0), "0.3333");
}

TEST(DataSynth, HeldOutSetIsAnotherStream) {
  std::set<std::string> train;
  for (std::uint64_t i = 0; i < 300; ++i) train.insert(synth_conversation(5, i).dump());
  int seen = 0;
  for (std::uint64_t i = 0; i < 300; ++i) {
    const json h = synth_heldout_conversation(5, i);
    seen += train.count(h.dump()) > 0;
    EXPECT_EQ(h.dump(), synth_heldout_conversation(5, i).dump());
  }
  EXPECT_LT(seen, 30) << "held-out conversations mostly differ from the training ones";
}
