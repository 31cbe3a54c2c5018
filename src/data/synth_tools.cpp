// The five tool backends of the synthetic corpus, and their schemas: the code the generator
// runs to write right answers, and the code chat and the agent evaluation run to answer a
// model's calls (see synth_tools.hpp).
#include "hermes/data/synth_tools.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "hermes/core/error.hpp"

namespace hermes::data {

nlohmann::json json_number(double v) {
  if (v == std::floor(v) && std::abs(v) < 1e15) return static_cast<std::int64_t>(v);
  return v;
}

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

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

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

ojson schema_of_tool(const std::string& name) {
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

}  // namespace

std::string format_number(double value) {
  const double r = round4(value);
  if (std::abs(r) < 1e15 && r == std::floor(r)) return fmt::format("{}", static_cast<std::int64_t>(r));
  std::string s = fmt::format("{:.4f}", r);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

const std::vector<std::string>& synth_tool_names() {
  static const std::vector<std::string> names = {"calculator", "word_frequency", "convert_units", "date_calculator",
                                                 "element_lookup"};
  return names;
}

nlohmann::ordered_json synth_tool_schema_ordered(const std::string& name) { return schema_of_tool(name); }

nlohmann::json synth_tool_schema(const std::string& name) { return json::parse(schema_of_tool(name).dump()); }

nlohmann::json run_synth_tool(const std::string& name, const nlohmann::json& args) {
  auto arg_string = [&](const char* key) -> std::string {
    if (!args.is_object() || !args.contains(key))
      throw std::runtime_error(std::string("missing argument '") + key + "'");
    if (!args[key].is_string()) throw std::runtime_error(std::string("argument '") + key + "' must be a string");
    return args[key].get<std::string>();
  };
  auto arg_number = [&](const char* key) -> double {
    if (!args.is_object() || !args.contains(key))
      throw std::runtime_error(std::string("missing argument '") + key + "'");
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
      return {
          {"word", word}, {"count", std::count(words.begin(), words.end(), target[0])}, {"total_words", words.size()}};
    }
    if (name == "convert_units") {
      const double v = arg_number("value");
      const Unit* from = find_unit(arg_string("from_unit"));
      const Unit* to = find_unit(arg_string("to_unit"));
      if (!from || !to) throw std::runtime_error("unknown unit");
      if (std::string_view(from->dimension) != to->dimension)
        throw std::runtime_error(fmt::format("cannot convert {} to {}", from->dimension, to->dimension));
      return {{"value", args["value"]},
              {"from_unit", from->symbol},
              {"to_unit", to->symbol},
              {"result", round4(convert(v, *from, *to))}};
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

}  // namespace hermes::data
