// The synthetic agentic corpus (see synth.hpp for the record schema). Each conversation is built
// from a template per scenario; numbers in answers come from the tool backends in this file.
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

namespace hermes::data {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

// A JSON number written as an integer when it is one (182, not 182.0).
nlohmann::json number(double v) {
  if (v == std::floor(v) && std::abs(v) < 1e15) return static_cast<std::int64_t>(v);
  return v;
}

double round4(double x) {
  const double r = std::round(x * 1e4) / 1e4;
  return r == 0 ? 0.0 : r;  // no "-0"
}

// ---- calculator backend: recursive descent over + - * / ( ) and decimals -------------------
struct ExpressionParser {
  std::string_view s;
  std::size_t i = 0;
  void skip() {
    while (i < s.size() && s[i] == ' ') ++i;
  }
  double expr() {
    double v = term();
    for (skip(); i < s.size() && (s[i] == '+' || s[i] == '-'); skip()) {
      const char op = s[i++];
      const double r = term();
      v = op == '+' ? v + r : v - r;
    }
    return v;
  }
  double term() {
    double v = factor();
    for (skip(); i < s.size() && (s[i] == '*' || s[i] == '/'); skip()) {
      const char op = s[i++];
      const double r = factor();
      if (op == '/' && r == 0) throw std::runtime_error("division by zero");
      v = op == '*' ? v * r : v / r;
    }
    return v;
  }
  double factor() {
    skip();
    if (i >= s.size()) throw std::runtime_error("expression ends early");
    if (s[i] == '-') return ++i, -factor();
    if (s[i] == '(') {
      ++i;
      const double v = expr();
      skip();
      if (i >= s.size() || s[i] != ')') throw std::runtime_error("missing ')'");
      ++i;
      return v;
    }
    const std::size_t start = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (start == i) throw std::runtime_error(fmt::format("unexpected '{}' at position {}", s[i], i));
    return std::stod(std::string(s.substr(start, i - start)));
  }
};

double evaluate_expression(std::string_view text) {
  ExpressionParser p{text};
  const double v = p.expr();
  p.skip();
  if (p.i != text.size()) throw std::runtime_error(fmt::format("unexpected '{}' at position {}", text[p.i], p.i));
  return v;
}

// ---- word frequency backend -----------------------------------------------------------------
std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> words;
  std::string w;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!w.empty()) {
      words.push_back(std::move(w));
      w.clear();
    }
  }
  if (!w.empty()) words.push_back(std::move(w));
  return words;
}

// ---- unit conversion backend: factors to the SI base of each dimension -----------------------
struct Unit {
  const char* symbol;
  const char* name;  // plural, for prose
  const char* dimension;
  double to_base;
};
constexpr std::array<Unit, 18> kUnits = {{
    {"m", "meters", "length", 1.0},         {"km", "kilometers", "length", 1000.0},
    {"cm", "centimeters", "length", 0.01},  {"mm", "millimeters", "length", 0.001},
    {"mi", "miles", "length", 1609.344},    {"ft", "feet", "length", 0.3048},
    {"in", "inches", "length", 0.0254},     {"yd", "yards", "length", 0.9144},
    {"kg", "kilograms", "mass", 1.0},       {"g", "grams", "mass", 0.001},
    {"lb", "pounds", "mass", 0.45359237},   {"oz", "ounces", "mass", 0.028349523125},
    {"l", "liters", "volume", 1.0},         {"ml", "milliliters", "volume", 0.001},
    {"gal", "US gallons", "volume", 3.785411784},
    {"c", "degrees Celsius", "temperature", 0},
    {"f", "degrees Fahrenheit", "temperature", 0},
    {"k", "kelvin", "temperature", 0},
}};

const Unit* find_unit(std::string_view symbol) {
  std::string s(symbol);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& u : kUnits)
    if (s == u.symbol) return &u;
  return nullptr;
}

double to_kelvin(double v, char unit) { return unit == 'c' ? v + 273.15 : unit == 'f' ? (v - 32) * 5 / 9 + 273.15 : v; }
double from_kelvin(double k, char unit) {
  return unit == 'c' ? k - 273.15 : unit == 'f' ? (k - 273.15) * 9 / 5 + 32 : k;
}

double convert(double value, const Unit& from, const Unit& to) {
  if (std::string_view(from.dimension) == "temperature")
    return from_kelvin(to_kelvin(value, from.symbol[0]), to.symbol[0]);
  return value * from.to_base / to.to_base;
}

// ---- date backend: proleptic Gregorian calendar, days since 1970-01-01 ----------------------
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::string civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
  return fmt::format("{:04}-{:02}-{:02}", y, m, d);
}

const std::array<const char*, 7> kWeekdays = {"Thursday", "Friday",  "Saturday", "Sunday",
                                              "Monday",   "Tuesday", "Wednesday"};  // day 0 = 1970-01-01
std::string weekday(std::int64_t days) { return kWeekdays[static_cast<std::size_t>(((days % 7) + 7) % 7)]; }

// Parses YYYY-MM-DD strictly; throws on anything else.
std::int64_t parse_date(const std::string& text) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
    throw std::runtime_error("date '" + text + "' is not YYYY-MM-DD");
  static constexpr int kMonthDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (m < 1 || m > 12 || d < 1 || d > kMonthDays[m - 1] || (m == 2 && d == 29 && !leap))
    throw std::runtime_error("date '" + text + "' does not exist");
  return days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

// ---- element lookup backend: a fixed table (IUPAC standard atomic weights, abridged) ---------
struct Element {
  const char* name;
  const char* symbol;
  int number;
  double mass;
};
constexpr std::array<Element, 24> kElements = {{
    {"Hydrogen", "H", 1, 1.008},     {"Helium", "He", 2, 4.0026},     {"Lithium", "Li", 3, 6.94},
    {"Carbon", "C", 6, 12.011},      {"Nitrogen", "N", 7, 14.007},    {"Oxygen", "O", 8, 15.999},
    {"Fluorine", "F", 9, 18.998},    {"Neon", "Ne", 10, 20.18},       {"Sodium", "Na", 11, 22.99},
    {"Magnesium", "Mg", 12, 24.305}, {"Aluminium", "Al", 13, 26.982}, {"Silicon", "Si", 14, 28.085},
    {"Phosphorus", "P", 15, 30.974}, {"Sulfur", "S", 16, 32.06},      {"Chlorine", "Cl", 17, 35.45},
    {"Argon", "Ar", 18, 39.95},      {"Potassium", "K", 19, 39.098},  {"Calcium", "Ca", 20, 40.078},
    {"Iron", "Fe", 26, 55.845},      {"Copper", "Cu", 29, 63.546},    {"Zinc", "Zn", 30, 65.38},
    {"Silver", "Ag", 47, 107.87},    {"Gold", "Au", 79, 196.97},      {"Lead", "Pb", 82, 207.2},
}};

const Element* find_element(std::string_view key) {
  auto lower = [](std::string_view s) {
    std::string o(s);
    for (auto& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return o;
  };
  const std::string k = lower(key);
  for (const auto& e : kElements)
    if (k == lower(e.name) || k == lower(e.symbol)) return &e;
  return nullptr;
}

// ---- schemas --------------------------------------------------------------------------------
ojson property(const char* type, const char* description) {
  ojson p;
  p["type"] = type;
  p["description"] = description;
  return p;
}

ojson schema_of(const std::string& name) {
  ojson params;
  params["type"] = "object";
  ojson props = ojson::object();
  std::vector<std::string> required;
  std::string description;
  if (name == "calculator") {
    description = "Evaluate an arithmetic expression with + - * / and parentheses; returns the result.";
    props["expression"] = property("string", "the expression, e.g. (12 + 30) * 4");
    required = {"expression"};
  } else if (name == "word_frequency") {
    description = "Count how often a word occurs in a text (case-insensitive, whole words).";
    props["text"] = property("string", "the text to search");
    props["word"] = property("string", "the word to count");
    required = {"text", "word"};
  } else if (name == "convert_units") {
    description = "Convert a value between units of length, mass, volume or temperature.";
    props["value"] = property("number", "the value to convert");
    std::vector<std::string> symbols;
    for (const auto& u : kUnits) symbols.push_back(u.symbol);
    props["from_unit"] = property("string", "unit of the value");
    props["from_unit"]["enum"] = symbols;
    props["to_unit"] = property("string", "unit to convert to");
    props["to_unit"]["enum"] = symbols;
    required = {"value", "from_unit", "to_unit"};
  } else if (name == "date_calculator") {
    description = "Date arithmetic: add days to a date, or count the days between two dates.";
    props["operation"] = property("string", "add_days or days_between");
    props["operation"]["enum"] = {"add_days", "days_between"};
    props["start_date"] = property("string", "YYYY-MM-DD");
    props["days"] = property("integer", "days to add (add_days; may be negative)");
    props["end_date"] = property("string", "YYYY-MM-DD (days_between)");
    required = {"operation", "start_date"};
  } else if (name == "element_lookup") {
    description = "Look up a chemical element by name or symbol: symbol, atomic number, atomic mass.";
    props["element"] = property("string", "element name or symbol, e.g. Iron or Fe");
    required = {"element"};
  } else {
    throw Error(fmt::format("unknown synthetic tool '{}'", name));
  }
  params["properties"] = props;
  params["required"] = required;
  ojson f;
  f["name"] = name;
  f["description"] = description;
  f["parameters"] = params;
  ojson s;
  s["type"] = "function";
  s["function"] = f;
  return s;
}

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
  std::string request;   // the user's words
  std::string thought;   // <think> text before the call
  json arguments;
  json content;          // tool response content
  std::string answer;    // final answer using the content
  std::string task, category;
};

// JSON as Python's json.dumps writes it (", " and ": " separators), the style of the published
// dataset's tool calls, responses and schemas.
std::string py_dump(const ojson& j) {
  if (j.is_object()) {
    std::string s = "{";
    for (auto it = j.begin(); it != j.end(); ++it) s += (it == j.begin() ? "" : ", ") + ojson(it.key()).dump() + ": " + py_dump(*it);
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


const std::vector<std::string> kWords = {
    "river", "stone", "light", "garden", "window", "market", "cloud", "paper", "forest", "bridge",
    "music", "winter", "signal", "harbor", "engine", "orange", "valley", "silver", "letter", "candle"};
const std::vector<std::string> kFiller = {
    "the", "a", "near", "over", "with", "and", "under", "quiet", "bright", "old", "small",
    "every", "morning", "we", "saw", "walked", "past", "kept", "found", "by"};
const std::vector<std::string> kNames = {"Ada", "Ben", "Chen", "Dana", "Eli", "Farah", "Goran", "Hana",
                                         "Ivan", "Jun", "Kofi", "Lena", "Maya", "Nico", "Omar", "Priya"};

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
                      ? fmt::format("{} has {} boxes of {} cookies each and gives away {} cookies. How many cookies "
                                    "are left? Please use the calculator.",
                                    who, boxes, per, eaten)
                      : fmt::format("{} packs {} tins with {} cookies in every tin, then hands out {} of them. "
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
  static const std::vector<std::string> reworded = {
      "Count the occurrences of \"{0}\" in the following text:\n\n{1}",
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
  const double value = rng.below(3) == 0 ? static_cast<double>(rng.range(1, 9999)) / 10.0
                                         : static_cast<double>(rng.range(1, 500));
  static const std::vector<std::string> asks = {"Convert {0} {1} to {2}."};
  static const std::vector<std::string> reworded = {"How many {2} are in {0} {1}?", "Express {0} {1} in {2}.",
                                                    "I have {0} {1}. What is that in {2}?",
                                                    "{0} {1} equals how many {2}?"};
  x.request = fmt::format(fmt::runtime(phrase(rng, p, asks, reworded)), format_number(value), from.name, to.name);
  x.thought = fmt::format("This is a {} conversion from {} to {}; convert_units handles it.", dim, from.symbol,
                          to.symbol);
  x.arguments = {{"value", number(value)}, {"from_unit", from.symbol}, {"to_unit", to.symbol}};
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
    x.thought = "Date arithmetic with month lengths and leap years is error-prone by hand; I'll use "
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
    x.arguments = {{"operation", "days_between"}, {"start_date", civil_from_days(start)},
                   {"end_date", civil_from_days(end)}};
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
    static const std::vector<std::string> reworded = {"Which atomic number does {} have?",
                                                      "Tell me the atomic number of {}.", "{}: what's its atomic number?"};
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

Exchange any_exchange(Rng& rng, Phrasing p) {
  switch (rng.below(5)) {
    case 0: return calculator_exchange(rng, p);
    case 1: return word_frequency_exchange(rng, p);
    case 2: return convert_exchange(rng, p);
    case 3: return date_exchange(rng, p);
    default: return element_exchange(rng, p);
  }
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
  for (const auto& t : needed) tools.push_back(schema_of(t));
  return py_dump(tools);
}

const char* kSystem =
    "You are a helpful assistant that can call tools. Think step by step inside <think></think> before "
    "acting. To call a tool, reply with <tool_call>{\"name\": <tool name>, \"arguments\": <arguments "
    "object>}</tool_call>; its result comes back inside <tool_response></tool_response>. Only use the "
    "tools provided; if none fits the request, or information is missing, say so or ask the user.";

json turn(const char* from, const std::string& value) { return json{{"from", from}, {"value", value}}; }

ojson record(const json& conversations, const std::string& tools, const std::string& task,
             const std::string& category, const std::string& scenario) {
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

ojson single_turn(Rng& rng, Phrasing p) {
  const Exchange x = any_exchange(rng, p);
  json c = json::array({turn("system", kSystem)});
  add_exchange(c, x);
  return record(c, tools_text(rng, {x.tool}, 1 + rng.below(3)), x.task, x.category, "single_turn");
}

ojson multi_turn(Rng& rng, Phrasing p) {
  const Exchange a = any_exchange(rng, p);
  Exchange b = any_exchange(rng, p);
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
    c.push_back(turn("human", fmt::format(fmt::runtime(p == Phrasing::corpus
                                              ? "I ran {} miles on Monday and {} km on Tuesday. How many kilometers "
                                                "did I run in total?"
                                              : "On Monday I covered {} miles, and on Tuesday {} km. What's my total "
                                                "distance in kilometers?"),
                                          format_number(miles), km)));
    const json a1 = {{"value", number(miles)}, {"from_unit", "mi"}, {"to_unit", "km"}};
    const json r1 = run_synth_tool("convert_units", a1);
    const std::string x = format_number(r1.at("result").get<double>());
    c.push_back(turn("gpt", assistant_call("First convert Monday's miles to kilometers, then add Tuesday's distance.",
                                           "convert_units", a1)));
    c.push_back(turn("tool", synth_tool_turn("convert_units", r1)));
    const json a2 = {{"expression", fmt::format("{} + {}", x, km)}};
    const json r2 = run_synth_tool("calculator", a2);
    c.push_back(turn("gpt", assistant_call(fmt::format("{} miles is {} km. Now add {} km.", format_number(miles), x, km),
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
    c.push_back(turn("human", fmt::format(fmt::runtime(p == Phrasing::corpus
                                                           ? "What is the total atomic mass of {} atoms of {}?"
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
    c.push_back(turn("gpt", assistant_call(fmt::format("One atom is {} u; multiply by {}.", mass, n), "calculator", a2)));
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
    c.push_back(turn("gpt", fmt::format("<think>\nThe {} tool fits this request, but the user has not given me the "
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

std::string format_number(double value) {
  const double r = round4(value);
  if (std::abs(r) < 1e15 && r == std::floor(r)) return fmt::format("{}", static_cast<std::int64_t>(r));
  std::string s = fmt::format("{:.4f}", r);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

const std::vector<std::string>& synth_tool_names() {
  static const std::vector<std::string> names = {"calculator", "word_frequency", "convert_units",
                                                 "date_calculator", "element_lookup"};
  return names;
}

nlohmann::json synth_tool_schema(const std::string& name) { return json::parse(schema_of(name).dump()); }

nlohmann::json run_synth_tool(const std::string& name, const nlohmann::json& args) {
  auto arg_string = [&](const char* key) -> std::string {
    if (!args.is_object() || !args.contains(key)) throw std::runtime_error(std::string("missing argument '") + key + "'");
    if (!args[key].is_string()) throw std::runtime_error(std::string("argument '") + key + "' must be a string");
    return args[key].get<std::string>();
  };
  auto arg_number = [&](const char* key) -> double {
    if (!args.is_object() || !args.contains(key)) throw std::runtime_error(std::string("missing argument '") + key + "'");
    if (!args[key].is_number()) throw std::runtime_error(std::string("argument '") + key + "' must be a number");
    return args[key].get<double>();
  };
  try {
    if (name == "calculator") {
      const std::string e = arg_string("expression");
      return {{"expression", e}, {"result", round4(evaluate_expression(e))}};
    }
    if (name == "word_frequency") {
      const std::string text = arg_string("text"), word = arg_string("word");
      const auto target = words_of(word);
      if (target.size() != 1) throw std::runtime_error("'word' must be a single word");
      const auto words = words_of(text);
      return {{"word", word},
              {"count", std::count(words.begin(), words.end(), target[0])},
              {"total_words", words.size()}};
    }
    if (name == "convert_units") {
      const double v = arg_number("value");
      const Unit* from = find_unit(arg_string("from_unit"));
      const Unit* to = find_unit(arg_string("to_unit"));
      if (!from || !to) throw std::runtime_error("unknown unit");
      if (std::string_view(from->dimension) != to->dimension)
        throw std::runtime_error(fmt::format("cannot convert {} to {}", from->dimension, to->dimension));
      return {{"value", args["value"]}, {"from_unit", from->symbol}, {"to_unit", to->symbol}, {"result", round4(convert(v, *from, *to))}};
    }
    if (name == "date_calculator") {
      const std::string op = arg_string("operation");
      const std::int64_t start = parse_date(arg_string("start_date"));
      if (op == "add_days") {
        const double d = arg_number("days");
        if (d != std::floor(d)) throw std::runtime_error("'days' must be an integer");
        const std::int64_t r = start + static_cast<std::int64_t>(d);
        return {{"result_date", civil_from_days(r)}, {"weekday", weekday(r)}};
      }
      if (op == "days_between") return {{"days", parse_date(arg_string("end_date")) - start}};
      throw std::runtime_error("operation must be add_days or days_between");
    }
    if (name == "element_lookup") {
      const Element* e = find_element(arg_string("element"));
      if (!e) throw std::runtime_error("unknown element");
      return {{"name", e->name}, {"symbol", e->symbol}, {"atomic_number", e->number}, {"atomic_mass", e->mass}};
    }
    return {{"error", "unknown tool '" + name + "'"}};
  } catch (const std::exception& e) {
    return {{"error", e.what()}};
  }
}

namespace {
json conversation(std::uint64_t seed, std::uint64_t index, Phrasing p) {
  Rng rng(derive_seed(seed, index));
  // Scenario mix: 40% single_turn, 20% multi_turn, 25% multi_step, 15% relevance.
  const auto u = rng.below(100);
  const ojson r = u < 40 ? single_turn(rng, p) : u < 60 ? multi_turn(rng, p) : u < 85 ? multi_step(rng, p) : relevance(rng, p);
  return json::parse(r.dump());
}
}  // namespace

nlohmann::json synth_conversation(std::uint64_t seed, std::uint64_t index) {
  return conversation(seed, index, Phrasing::corpus);
}

nlohmann::json synth_paraphrased_conversation(std::uint64_t seed, std::uint64_t index) {
  return conversation(derive_seed(seed, "synth-paraphrased"), index, Phrasing::paraphrased);
}

nlohmann::json synth_heldout_conversation(std::uint64_t seed, std::uint64_t index) {
  return synth_conversation(derive_seed(seed, "synth-heldout"), index);
}

std::uint64_t write_synth_corpus(const std::filesystem::path& path, std::uint64_t seed, std::uint64_t count) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  const std::filesystem::path tmp = path.string() + ".tmp";
  std::uint64_t bytes = 0;
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) fail_environment("cannot write {}; check that its folder is writable", tmp.string());
    for (std::uint64_t i = 0; i < count; ++i) {
      // Key order as in the published dataset: conversations first.
      const json c = synth_conversation(seed, i);
      ojson o;
      for (const char* k : {"conversations", "tools", "task", "category", "source", "scenario_category"}) o[k] = ojson::parse(c[k].dump());
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
