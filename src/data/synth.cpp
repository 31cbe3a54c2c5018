// The synthetic agentic corpus (see synth.hpp for the record schema). Each conversation is built
// from a template per scenario; numbers in answers come from running the tool backends
// (synth_tools.cpp).
#include "hermes/data/synth.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <stdexcept>

#include "hermes/core/error.hpp"
#include "hermes/data/random.hpp"
#include "hermes/data/synth_tools.hpp"

namespace hermes::data {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

// ---- generator ------------------------------------------------------------------------------
// `corpus`: the training corpus's wording. `paraphrased`: requests worded by templates the corpus
// never uses (same tools, arguments, number ranges and answers), for measuring generalisation.
enum class Phrasing { corpus, paraphrased };

// A request template of the phrasing asked for. The corpus draws from its generator only where
// it has a choice, so its conversations stay what they were before paraphrases existed.
const std::string& phrase(Rng& rng, Phrasing p, const std::vector<std::string>& corpus,
                          const std::vector<std::string>& paraphrased) {
  if (p == Phrasing::paraphrased) return rng.pick(paraphrased);
  return corpus.size() == 1 ? corpus[0] : rng.pick(corpus);
}
// One tool exchange: what the user says, why the assistant calls, the call and its result.
struct Exchange {
  std::string tool;
  std::string request;  // the user's words
  std::string thought;  // <think> text before the call
  json arguments;
  json content;        // tool response content
  std::string answer;  // final answer using the content
  std::string task, category;
};

// JSON as Python's json.dumps writes it (", " and ": " separators), the style of the published
// dataset's tool calls, responses and schemas.
std::string py_dump(const ojson& j) {
  if (j.is_object()) {
    std::string s = "{";
    for (auto it = j.begin(); it != j.end(); ++it)
      s += (it == j.begin() ? "" : ", ") + ojson(it.key()).dump() + ": " + py_dump(*it);
    return s + "}";
  }
  if (j.is_array()) {
    std::string s = "[";
    for (std::size_t i = 0; i < j.size(); ++i) s += (i ? ", " : "") + py_dump(j[i]);
    return s + "]";
  }
  return j.dump();
}

std::string call_text(const std::string& tool, const json& arguments) {
  ojson call;
  call["name"] = tool;
  call["arguments"] = ojson::parse(arguments.dump());
  return py_dump(call);
}

std::string assistant_call(const std::string& thought, const std::string& tool, const json& arguments) {
  return "<think>\n" + thought + "\n</think>\n<tool_call>\n" + call_text(tool, arguments) + "\n</tool_call>";
}

const std::vector<std::string> kWords = {"river",  "stone",  "light",  "garden", "window", "market", "cloud",
                                         "paper",  "forest", "bridge", "music",  "winter", "signal", "harbor",
                                         "engine", "orange", "valley", "silver", "letter", "candle"};
const std::vector<std::string> kFiller = {"the",   "a",      "near", "over",  "with",  "and",     "under",
                                          "quiet", "bright", "old",  "small", "every", "morning", "we",
                                          "saw",   "walked", "past", "kept",  "found", "by"};
const std::vector<std::string> kNames = {"Ada",  "Ben", "Chen", "Dana", "Eli",  "Farah", "Goran", "Hana",
                                         "Ivan", "Jun", "Kofi", "Lena", "Maya", "Nico",  "Omar",  "Priya"};

Exchange calculator_exchange(Rng& rng, Phrasing p) {
  Exchange x;
  x.tool = "calculator";
  x.category = "Math";
  std::string expr, story_answer;
  switch (rng.below(5)) {
    case 0: {
      const auto a = rng.range(2, 99), b = rng.range(2, 99), c = rng.range(2, 30);
      expr = fmt::format("({} + {}) * {}", a, b, c);
      break;
    }
    case 1: {
      const auto a = rng.range(10, 999), b = rng.range(2, 40), c = rng.range(1, 500);
      expr = fmt::format("{} * {} - {}", a, b, c);
      break;
    }
    case 2: {  // exact division
      const auto c = rng.range(2, 25), q = rng.range(2, 60), b = rng.range(1, 300);
      expr = fmt::format("({} - {}) / {}", b + q * c, b, c);
      break;
    }
    case 3: {
      const auto a = rng.range(1, 200), b = rng.range(1, 200);
      const double d = static_cast<double>(rng.range(1, 999)) / 10.0;
      expr = fmt::format("{} + {} * {}", format_number(d), a, b);
      break;
    }
    default: {
      const std::string& who = rng.pick(kNames);
      const auto boxes = rng.range(3, 40), per = rng.range(6, 24), eaten = rng.range(1, 20);
      expr = fmt::format("{} * {} - {}", boxes, per, eaten);
      x.request = p == Phrasing::corpus
                      ? fmt::format(
                            "{} has {} boxes of {} cookies each and gives away {} cookies. How many cookies "
                            "are left? Please use the calculator.",
                            who, boxes, per, eaten)
                      : fmt::format(
                            "{} packs {} tins with {} cookies in every tin, then hands out {} of them. "
                            "How many cookies remain? Use the calculator.",
                            who, boxes, per, eaten);
      story_answer = who;
      break;
    }
  }
  x.arguments = {{"expression", expr}};
  x.content = run_synth_tool("calculator", x.arguments);
  const std::string result = format_number(x.content.at("result").get<double>());
  if (!story_answer.empty()) {
    x.thought = "Boxes times cookies per box, minus the cookies given away: " + expr + ". I'll compute it.";
    x.answer = fmt::format("{} has {} cookies left ({} = {}).", story_answer, result, expr, result);
    x.task = "Solve a word problem with the calculator";
  } else {
    static const std::vector<std::string> asks = {"What is {}?", "Can you compute {} for me?",
                                                  "I need the value of {}.", "Calculate {} please."};
    static const std::vector<std::string> reworded = {"Work out {}.", "What does {} come to?",
                                                      "Please evaluate {} for me.", "Quick one: {} = ?",
                                                      "Could you tell me what {} equals?"};
    x.request = fmt::format(fmt::runtime(phrase(rng, p, asks, reworded)), expr);
    x.thought = "The user wants the value of " + expr + ". The calculator tool evaluates expressions exactly.";
    x.answer = fmt::format("{} = {}.", expr, result);
    x.task = "Evaluate an arithmetic expression";
  }
  return x;
}

Exchange word_frequency_exchange(Rng& rng, Phrasing p) {
  Exchange x;
  x.tool = "word_frequency";
  x.category = "Text analysis";
  x.task = "Count a word in a text";
  const std::string& target = rng.pick(kWords);
  const auto occurrences = rng.range(0, 4);
  const auto length = rng.range(12, 28);
  std::vector<std::string> words;
  for (std::int64_t i = 0; i < length; ++i) {
    std::string w = rng.below(4) == 0 ? rng.pick(kWords) : rng.pick(kFiller);
    if (w == target) w = "the";
    words.push_back(w);
  }
  for (std::int64_t k = 0; k < occurrences; ++k)
    words.insert(words.begin() + static_cast<std::ptrdiff_t>(rng.below(words.size() + 1)), target);
  std::string text;
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string w = words[i];
    if (i == 0) w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
    text += (i ? " " : "") + w;
    if (i + 1 < words.size() && rng.below(9) == 0) text += ",";
  }
  text += ".";
  static const std::vector<std::string> asks = {"How many times does the word \"{0}\" appear in this text?\n\n{1}"};
  static const std::vector<std::string> reworded = {"Count the occurrences of \"{0}\" in the following text:\n\n{1}",
                                                    "In the passage below, how often is the word \"{0}\" used?\n\n{1}",
                                                    "{1}\n\nHow many times does \"{0}\" occur in the text above?"};
  x.request = fmt::format(fmt::runtime(phrase(rng, p, asks, reworded)), target, text);
  x.thought = "I need to count the word \"" + target + "\" in the given text; word_frequency does that.";
  x.arguments = {{"text", text}, {"word", target}};
  x.content = run_synth_tool("word_frequency", x.arguments);
  const auto n = x.content.at("count").get<std::int64_t>();
  x.answer = n == 1 ? fmt::format("The word \"{}\" appears 1 time in your text.", target)
                    : fmt::format("The word \"{}\" appears {} times in your text.", target, n);
  return x;
}

const Unit& unit_in(Rng& rng, const std::string& dimension, const Unit* other) {
  std::vector<const Unit*> pool;
  for (const auto& u : kUnits)
    if (dimension == u.dimension && &u != other) pool.push_back(&u);
  return *rng.pick(pool);
}

Exchange convert_exchange(Rng& rng, Phrasing p) {
  Exchange x;
  x.tool = "convert_units";
  x.category = "Unit conversion";
  x.task = "Convert a quantity between units";
  static const std::vector<std::string> dims = {"length", "length", "mass", "volume", "temperature"};
  const std::string& dim = rng.pick(dims);
  const Unit& from = unit_in(rng, dim, nullptr);
  const Unit& to = unit_in(rng, dim, &from);
  const double value =
      rng.below(3) == 0 ? static_cast<double>(rng.range(1, 9999)) / 10.0 : static_cast<double>(rng.range(1, 500));
  static const std::vector<std::string> asks = {"Convert {0} {1} to {2}."};
  static const std::vector<std::string> reworded = {"How many {2} are in {0} {1}?", "Express {0} {1} in {2}.",
                                                    "I have {0} {1}. What is that in {2}?",
                                                    "{0} {1} equals how many {2}?"};
  x.request = fmt::format(fmt::runtime(phrase(rng, p, asks, reworded)), format_number(value), from.name, to.name);
  x.thought =
      fmt::format("This is a {} conversion from {} to {}; convert_units handles it.", dim, from.symbol, to.symbol);
  x.arguments = {{"value", json_number(value)}, {"from_unit", from.symbol}, {"to_unit", to.symbol}};
  x.content = run_synth_tool("convert_units", x.arguments);
  x.answer = fmt::format("{} {} is {} {}.", format_number(value), from.name,
                         format_number(x.content.at("result").get<double>()), to.name);
  return x;
}

std::int64_t random_day(Rng& rng) { return days_from_civil(2020, 1, 1) + rng.range(0, 3650); }

Exchange date_exchange(Rng& rng, Phrasing p) {
  Exchange x;
  x.tool = "date_calculator";
  x.category = "Date calculation";
  const std::int64_t start = random_day(rng);
  if (rng.below(2) == 0) {
    const auto days = rng.range(-120, 400);
    x.task = "Add days to a date";
    static const std::vector<std::string> after = {"What date is {} days after {}?"};
    static const std::vector<std::string> before = {"What date was {} days before {}?"};
    static const std::vector<std::string> after2 = {"Which date falls {0} days after {1}?",
                                                    "If I start on {1}, what is the date {0} days later?",
                                                    "Add {0} days to {1}. What date do I get?"};
    static const std::vector<std::string> before2 = {"Which date was {0} days prior to {1}?",
                                                     "Go back {0} days from {1}: what date is it?"};
    x.request = fmt::format(fmt::runtime(days >= 0 ? phrase(rng, p, after, after2) : phrase(rng, p, before, before2)),
                            days >= 0 ? days : -days, civil_from_days(start));
    x.thought =
        "Date arithmetic with month lengths and leap years is error-prone by hand; I'll use "
        "date_calculator with add_days.";
    x.arguments = {{"operation", "add_days"}, {"start_date", civil_from_days(start)}, {"days", days}};
    x.content = run_synth_tool("date_calculator", x.arguments);
    x.answer = fmt::format("{} days {} {} is {}, a {}.", days >= 0 ? days : -days, days >= 0 ? "after" : "before",
                           civil_from_days(start), x.content.at("result_date").get<std::string>(),
                           x.content.at("weekday").get<std::string>());
  } else {
    const std::int64_t end = start + rng.range(1, 900);
    x.task = "Count the days between two dates";
    static const std::vector<std::string> asks = {"How many days are there from {} to {}?"};
    static const std::vector<std::string> reworded = {"Count the days between {} and {}.",
                                                      "How long is it from {} until {}, in days?",
                                                      "What's the number of days separating {} and {}?"};
    x.request = fmt::format(fmt::runtime(phrase(rng, p, asks, reworded)), civil_from_days(start), civil_from_days(end));
    x.thought = "I need the number of days between two dates; date_calculator's days_between does that.";
    x.arguments = {
        {"operation", "days_between"}, {"start_date", civil_from_days(start)}, {"end_date", civil_from_days(end)}};
    x.content = run_synth_tool("date_calculator", x.arguments);
    x.answer = fmt::format("There are {} days from {} to {}.", x.content.at("days").get<std::int64_t>(),
                           civil_from_days(start), civil_from_days(end));
  }
  return x;
}

Exchange element_exchange(Rng& rng, Phrasing p) {
  Exchange x;
  x.tool = "element_lookup";
  x.category = "Chemistry";
  const Element& e = rng.pick(kElements);
  const bool by_symbol = rng.below(3) == 0;
  const std::string key = by_symbol ? e.symbol : e.name;
  x.arguments = {{"element", key}};
  x.content = run_synth_tool("element_lookup", x.arguments);
  if (rng.below(2) == 0) {
    x.task = "Look up an atomic number";
    static const std::vector<std::string> asks = {"What is the atomic number of {}?"};
    static const std::vector<std::string> reworded = {
        "Which atomic number does {} have?", "Tell me the atomic number of {}.", "{}: what's its atomic number?"};
    x.request = fmt::format(fmt::runtime(phrase(rng, p, asks, reworded)), key);
    x.thought = "I'll look the element up rather than rely on memory.";
    x.answer = fmt::format("{} ({}) has atomic number {}.", e.name, e.symbol, e.number);
  } else {
    x.task = "Look up an atomic mass";
    static const std::vector<std::string> asks = {"What's the standard atomic mass of {}?"};
    static const std::vector<std::string> reworded = {"How heavy is one atom of {}, in atomic mass units?",
                                                      "Give me the standard atomic weight of {}.",
                                                      "What does an atom of {} weigh, in u?"};
    x.request = fmt::format(fmt::runtime(phrase(rng, p, asks, reworded)), key);
    x.thought = "element_lookup gives the standard atomic mass; I'll query it.";
    x.answer = fmt::format("The standard atomic mass of {} ({}) is {} u.", e.name, e.symbol, format_number(e.mass));
  }
  return x;
}

// `tool_mix` holds one entry per share; each tool once (the default) reproduces the draws the
// corpus has always made, rng.below(5) in synth_tool_names() order.
Exchange any_exchange(Rng& rng, Phrasing p, const std::vector<std::string>& tool_mix) {
  const std::string& tool = tool_mix[rng.below(tool_mix.size())];
  if (tool == "calculator") return calculator_exchange(rng, p);
  if (tool == "word_frequency") return word_frequency_exchange(rng, p);
  if (tool == "convert_units") return convert_exchange(rng, p);
  if (tool == "date_calculator") return date_exchange(rng, p);
  if (tool == "element_lookup") return element_exchange(rng, p);
  throw std::invalid_argument("synth: unknown tool '" + tool + "' in the tool mix");
}

// The tools offered: those needed, plus distractors, in a seeded order.
std::string tools_text(Rng& rng, std::vector<std::string> needed, std::size_t total) {
  std::vector<std::string> pool;
  for (const auto& t : synth_tool_names())
    if (std::find(needed.begin(), needed.end(), t) == needed.end()) pool.push_back(t);
  while (needed.size() < total && !pool.empty()) {
    const auto k = rng.below(pool.size());
    needed.push_back(pool[k]);
    pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(k));
  }
  for (std::size_t i = needed.size(); i > 1; --i) std::swap(needed[i - 1], needed[rng.below(i)]);
  ojson tools = ojson::array();
  for (const auto& t : needed) tools.push_back(synth_tool_schema_ordered(t));
  return py_dump(tools);
}

const char* kSystem =
    "You are a helpful assistant that can call tools. Think step by step inside <think></think> before "
    "acting. To call a tool, reply with <tool_call>{\"name\": <tool name>, \"arguments\": <arguments "
    "object>}</tool_call>; its result comes back inside <tool_response></tool_response>. Only use the "
    "tools provided; if none fits the request, or information is missing, say so or ask the user.";

json turn(const char* from, const std::string& value) { return json{{"from", from}, {"value", value}}; }

ojson record(const json& conversations, const std::string& tools, const std::string& task, const std::string& category,
             const std::string& scenario) {
  ojson r;
  r["conversations"] = ojson::parse(conversations.dump());
  r["tools"] = tools;
  r["task"] = task;
  r["category"] = category;
  r["source"] = "hermes-synth";
  r["scenario_category"] = scenario;
  return r;
}

void add_exchange(json& c, const Exchange& x) {
  c.push_back(turn("human", x.request));
  c.push_back(turn("gpt", assistant_call(x.thought, x.tool, x.arguments)));
  c.push_back(turn("tool", synth_tool_turn(x.tool, x.content)));
  c.push_back(turn("gpt", x.answer));
}

ojson single_turn(Rng& rng, Phrasing p, const std::vector<std::string>& tool_mix) {
  const Exchange x = any_exchange(rng, p, tool_mix);
  json c = json::array({turn("system", kSystem)});
  add_exchange(c, x);
  return record(c, tools_text(rng, {x.tool}, 1 + rng.below(3)), x.task, x.category, "single_turn");
}

ojson multi_turn(Rng& rng, Phrasing p, const std::vector<std::string>& tool_mix) {
  const Exchange a = any_exchange(rng, p, tool_mix);
  Exchange b = any_exchange(rng, p, tool_mix);
  static const std::vector<std::string> follow = {"Thanks! Another one: ", "Great. Now: ", "One more question. "};
  static const std::vector<std::string> follow2 = {"Perfect. Next: ", "Also, ", "OK, and here's another: "};
  b.request = phrase(rng, p, follow, follow2) + b.request;
  json c = json::array({turn("system", kSystem)});
  add_exchange(c, a);
  add_exchange(c, b);
  std::vector<std::string> needed = {a.tool};
  if (b.tool != a.tool) needed.push_back(b.tool);
  return record(c, tools_text(rng, needed, needed.size() + rng.below(2)), a.task + "; then " + b.task,
                a.category == b.category ? a.category : a.category + ", " + b.category, "multi_turn");
}

// Two calls where the second needs the first's result.
ojson multi_step(Rng& rng, Phrasing p) {
  json c = json::array({turn("system", kSystem)});
  std::vector<std::string> needed;
  std::string task, category;
  const auto kind = rng.below(3);
  if (kind == 0) {  // miles + kilometers
    const double miles = static_cast<double>(rng.range(1, 150)) / 10.0;
    const auto km = rng.range(1, 25);
    c.push_back(turn(
        "human", fmt::format(fmt::runtime(p == Phrasing::corpus
                                              ? "I ran {} miles on Monday and {} km on Tuesday. How many kilometers "
                                                "did I run in total?"
                                              : "On Monday I covered {} miles, and on Tuesday {} km. What's my total "
                                                "distance in kilometers?"),
                             format_number(miles), km)));
    const json a1 = {{"value", json_number(miles)}, {"from_unit", "mi"}, {"to_unit", "km"}};
    const json r1 = run_synth_tool("convert_units", a1);
    const std::string x = format_number(r1.at("result").get<double>());
    c.push_back(turn("gpt", assistant_call("First convert Monday's miles to kilometers, then add Tuesday's distance.",
                                           "convert_units", a1)));
    c.push_back(turn("tool", synth_tool_turn("convert_units", r1)));
    const json a2 = {{"expression", fmt::format("{} + {}", x, km)}};
    const json r2 = run_synth_tool("calculator", a2);
    c.push_back(
        turn("gpt", assistant_call(fmt::format("{} miles is {} km. Now add {} km.", format_number(miles), x, km),
                                   "calculator", a2)));
    c.push_back(turn("tool", synth_tool_turn("calculator", r2)));
    c.push_back(turn("gpt", fmt::format("You ran {} km in total: {} miles is {} km, plus {} km on Tuesday.",
                                        format_number(r2.at("result").get<double>()), format_number(miles), x, km)));
    needed = {"convert_units", "calculator"};
    task = "Convert then add distances";
    category = "Unit conversion, Math";
  } else if (kind == 1) {  // mass of n atoms
    const Element& e = rng.pick(kElements);
    const auto n = rng.range(2, 12);
    c.push_back(turn(
        "human",
        fmt::format(fmt::runtime(p == Phrasing::corpus ? "What is the total atomic mass of {} atoms of {}?"
                                                       : "I have {} atoms of {}. What do they weigh together, in u?"),
                    n, e.name)));
    const json a1 = {{"element", e.name}};
    const json r1 = run_synth_tool("element_lookup", a1);
    c.push_back(turn("gpt", assistant_call("I need the atomic mass of " + std::string(e.name) +
                                               " first, then multiply it by " + std::to_string(n) + ".",
                                           "element_lookup", a1)));
    c.push_back(turn("tool", synth_tool_turn("element_lookup", r1)));
    const std::string mass = format_number(r1.at("atomic_mass").get<double>());
    const json a2 = {{"expression", fmt::format("{} * {}", mass, n)}};
    const json r2 = run_synth_tool("calculator", a2);
    c.push_back(
        turn("gpt", assistant_call(fmt::format("One atom is {} u; multiply by {}.", mass, n), "calculator", a2)));
    c.push_back(turn("tool", synth_tool_turn("calculator", r2)));
    c.push_back(turn("gpt", fmt::format("{} atoms of {} have a total atomic mass of {} u ({} u each).", n, e.name,
                                        format_number(r2.at("result").get<double>()), mass)));
    needed = {"element_lookup", "calculator"};
    task = "Look up an atomic mass and scale it";
    category = "Chemistry, Math";
  } else {  // project end date, then days from today
    const std::int64_t start = random_day(rng);
    const auto length = rng.range(10, 300);
    const std::int64_t today = start - rng.range(1, 200);
    c.push_back(turn("human", fmt::format(fmt::runtime(p == Phrasing::corpus
                                                           ? "My project starts on {0} and lasts {1} days. Today is "
                                                             "{2}. How many days from today until the project ends?"
                                                           : "Today is {2}. A project begins {0} and runs for {1} "
                                                             "days. How many days are left from today until it "
                                                             "finishes?"),
                                          civil_from_days(start), length, civil_from_days(today))));
    const json a1 = {{"operation", "add_days"}, {"start_date", civil_from_days(start)}, {"days", length}};
    const json r1 = run_synth_tool("date_calculator", a1);
    const std::string end = r1.at("result_date").get<std::string>();
    c.push_back(turn("gpt", assistant_call("First find the end date by adding the duration to the start date.",
                                           "date_calculator", a1)));
    c.push_back(turn("tool", synth_tool_turn("date_calculator", r1)));
    const json a2 = {{"operation", "days_between"}, {"start_date", civil_from_days(today)}, {"end_date", end}};
    const json r2 = run_synth_tool("date_calculator", a2);
    c.push_back(turn("gpt", assistant_call("The project ends on " + end + ". Now count the days from today to then.",
                                           "date_calculator", a2)));
    c.push_back(turn("tool", synth_tool_turn("date_calculator", r2)));
    c.push_back(turn("gpt", fmt::format("The project ends on {}, which is {} days from today ({}).", end,
                                        r2.at("days").get<std::int64_t>(), civil_from_days(today))));
    needed = {"date_calculator"};
    task = "Find an end date and the days until it";
    category = "Date calculation";
  }
  return record(c, tools_text(rng, needed, needed.size() + rng.below(2)), task, category, "multi_step");
}

// No suitable tool (decline) or a suitable tool with information missing (ask).
ojson relevance(Rng& rng, Phrasing p) {
  json c = json::array({turn("system", kSystem)});
  struct OutOfScope {
    const char* request;
    const char* need;
  };
  static const std::vector<OutOfScope> out = {
      {"Book me a flight from Boston to Denver next Friday.", "book flights"},
      {"What's the weather in Lisbon right now?", "look up live weather"},
      {"Send an email to my manager saying I'll be late.", "send email"},
      {"Order a large pepperoni pizza to my address.", "place food orders"},
      {"Set an alarm for 6:30 tomorrow morning.", "set alarms"},
      {"What's the current price of Bitcoin?", "fetch live market prices"},
      {"Reserve a table for two at an Italian restaurant tonight.", "make reservations"},
  };
  static const std::vector<OutOfScope> out2 = {
      {"Translate 'good morning' into Japanese.", "translate text"},
      {"Play some relaxing jazz.", "play music"},
      {"Call my sister and tell her I'm on my way.", "make phone calls"},
      {"How bad is the traffic on the highway right now?", "check live traffic"},
      {"Buy two tickets for tonight's concert.", "buy tickets"},
      {"Remind me to water the plants at 8 pm.", "set reminders"},
  };
  struct Missing {
    const char* tool;
    const char* request;
    const char* question;
  };
  static const std::vector<Missing> missing = {
      {"convert_units", "Can you convert this distance to kilometers for me?",
       "Sure. Which distance should I convert: what is the value and its unit?"},
      {"word_frequency", "How often does the word \"harbor\" appear in my essay?",
       "I can count that, but I don't have your essay. Could you paste its text?"},
      {"date_calculator", "What date is 90 days after my start date?",
       "Happy to work that out. What is your start date (YYYY-MM-DD)?"},
      {"element_lookup", "What's the atomic mass of that element we talked about?",
       "Which element do you mean? Give me its name or symbol and I'll look it up."},
      {"calculator", "Can you add up my expenses for the week?",
       "Of course. Please list the amounts you spent and I'll total them."},
  };
  static const std::vector<Missing> missing2 = {
      {"convert_units", "Please turn my recipe's butter amount into grams.",
       "Sure. How much butter does the recipe use, and in which unit?"},
      {"word_frequency", "Count how many times \"signal\" shows up in my notes.",
       "I can count that, but I don't have your notes. Could you paste them?"},
      {"date_calculator", "How many days are left until my deadline?",
       "I can work that out. What is today's date and your deadline (YYYY-MM-DD)?"},
      {"element_lookup", "Look up the element I'm thinking of.",
       "Which element is it? Tell me its name or symbol and I'll look it up."},
      {"calculator", "What's the total of my grocery receipts?",
       "Sure. What are the amounts on the receipts? I'll add them up."},
  };
  std::string task, tools;
  if (rng.below(2) == 0) {
    const auto& o = rng.pick(p == Phrasing::corpus ? out : out2);
    tools = tools_text(rng, {}, 1 + rng.below(3));
    std::vector<std::string> offered;
    for (const auto& t : json::parse(tools)) offered.push_back(t["function"]["name"].get<std::string>());
    std::string list;
    for (std::size_t i = 0; i < offered.size(); ++i)
      list += (i == 0 ? "" : i + 1 == offered.size() ? " and " : ", ") + offered[i];
    c.push_back(turn("human", o.request));
    const bool one = offered.size() == 1;
    c.push_back(turn("gpt", fmt::format("<think>\nThe user wants me to {}. {} {}; {} {}, so I should not call any "
                                        "tool and should explain that.\n</think>\n"
                                        "I'm sorry, but I can't {}: the only {} I have here {} {}. Is there "
                                        "something along those lines I can help with instead?",
                                        o.need, one ? "The only available tool is" : "The available tools are", list,
                                        one ? "it cannot" : "none of them can", o.need, o.need, one ? "tool" : "tools",
                                        one ? "is" : "are", list)));
    task = std::string("Decline a request no tool can serve (") + o.need + ")";
  } else {
    const auto& m = rng.pick(p == Phrasing::corpus ? missing : missing2);
    tools = tools_text(rng, {m.tool}, 1 + rng.below(3));
    c.push_back(turn("human", m.request));
    c.push_back(
        turn("gpt", fmt::format("<think>\nThe {} tool fits this request, but the user has not given me the "
                                "information its arguments need. I should ask instead of guessing.\n</think>\n{}",
                                m.tool, m.question)));
    task = std::string("Ask for missing arguments of ") + m.tool;
  }
  return record(c, tools, task, "Relevance", "relevance");
}

}  // namespace

std::string synth_tool_turn(const std::string& tool, const nlohmann::json& content) {
  ojson r;
  r["name"] = tool;
  r["content"] = ojson::parse(content.dump());
  return "<tool_response>\n" + py_dump(r) + "\n</tool_response>";
}

namespace {
json conversation(std::uint64_t seed, std::uint64_t index, Phrasing p,
                  const std::vector<std::string>& tool_mix = synth_tool_names()) {
  Rng rng(derive_seed(seed, index));
  // Scenario mix: 40% single_turn, 20% multi_turn, 25% multi_step, 15% relevance.
  const auto u = rng.below(100);
  const ojson r = u < 40   ? single_turn(rng, p, tool_mix)
                  : u < 60 ? multi_turn(rng, p, tool_mix)
                  : u < 85 ? multi_step(rng, p)
                           : relevance(rng, p);
  return json::parse(r.dump());
}
}  // namespace

nlohmann::json synth_conversation(std::uint64_t seed, std::uint64_t index, const std::vector<std::string>& tool_mix) {
  if (tool_mix.empty()) throw std::invalid_argument("synth: the tool mix is empty");
  return conversation(seed, index, Phrasing::corpus, tool_mix);
}

nlohmann::json synth_paraphrased_conversation(std::uint64_t seed, std::uint64_t index) {
  return conversation(derive_seed(seed, "synth-paraphrased"), index, Phrasing::paraphrased);
}

nlohmann::json synth_heldout_conversation(std::uint64_t seed, std::uint64_t index) {
  return synth_conversation(derive_seed(seed, "synth-heldout"), index);
}

std::uint64_t write_synth_corpus(const std::filesystem::path& path, std::uint64_t seed, std::uint64_t count,
                                 const std::vector<std::string>& tool_mix) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  const std::filesystem::path tmp = path.string() + ".tmp";
  std::uint64_t bytes = 0;
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) fail_environment("cannot write {}; check that its folder is writable", tmp.string());
    for (std::uint64_t i = 0; i < count; ++i) {
      // Key order as in the published dataset: conversations first.
      const json c = synth_conversation(seed, i, tool_mix);
      ojson o;
      for (const char* k : {"conversations", "tools", "task", "category", "source", "scenario_category"})
        o[k] = ojson::parse(c[k].dump());
      const std::string line = o.dump() + "\n";
      out << line;
      bytes += line.size();
    }
    out.flush();
    if (!out) fail_environment("writing {} failed (disk full?)", tmp.string());
  }
  std::filesystem::rename(tmp, path);
  return bytes;
}

}  // namespace hermes::data
