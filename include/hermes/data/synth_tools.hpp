#pragma once
// The tools of the synthetic agentic corpus: calculator, word_frequency, convert_units,
// date_calculator and element_lookup. One implementation serves the generator (every number in
// a corpus answer comes from running these backends), chat with `--tools synth` and the agent
// evaluation (both execute a model's calls with them), so a model is scored by the same code
// that wrote its training answers.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hermes::data {

// The tools, in the order the generator offers them.
const std::vector<std::string>& synth_tool_names();
// JSON schema object {type: function, function: {name, description, parameters}} of a tool;
// _ordered keeps the keys in the order the corpus writes them.
nlohmann::json synth_tool_schema(const std::string& name);
nlohmann::ordered_json synth_tool_schema_ordered(const std::string& name);

// Runs a tool's deterministic backend. Returns the `content` object of the tool response; bad or
// missing arguments give {"error": "..."} (what a tool would answer a wrong call with).
nlohmann::json run_synth_tool(const std::string& name, const nlohmann::json& arguments);

// Number formatting used in tool responses and answers: integers without a decimal point, other
// values rounded to 4 decimals with trailing zeros dropped.
std::string format_number(double value);
// A JSON number written as an integer when it is one (182, not 182.0).
nlohmann::json json_number(double v);

// What the backends know, which the generator draws its requests from.
// convert_units: factors to the SI base of each dimension (temperatures convert through kelvin).
struct Unit {
  const char* symbol;
  const char* name;  // plural, for prose
  const char* dimension;
  double to_base;
};
inline constexpr std::array<Unit, 18> kUnits = {{
    {"m", "meters", "length", 1.0},
    {"km", "kilometers", "length", 1000.0},
    {"cm", "centimeters", "length", 0.01},
    {"mm", "millimeters", "length", 0.001},
    {"mi", "miles", "length", 1609.344},
    {"ft", "feet", "length", 0.3048},
    {"in", "inches", "length", 0.0254},
    {"yd", "yards", "length", 0.9144},
    {"kg", "kilograms", "mass", 1.0},
    {"g", "grams", "mass", 0.001},
    {"lb", "pounds", "mass", 0.45359237},
    {"oz", "ounces", "mass", 0.028349523125},
    {"l", "liters", "volume", 1.0},
    {"ml", "milliliters", "volume", 0.001},
    {"gal", "US gallons", "volume", 3.785411784},
    {"c", "degrees Celsius", "temperature", 0},
    {"f", "degrees Fahrenheit", "temperature", 0},
    {"k", "kelvin", "temperature", 0},
}};

// element_lookup: IUPAC standard atomic weights, abridged.
struct Element {
  const char* name;
  const char* symbol;
  int number;
  double mass;
};
inline constexpr std::array<Element, 24> kElements = {{
    {"Hydrogen", "H", 1, 1.008},     {"Helium", "He", 2, 4.0026},     {"Lithium", "Li", 3, 6.94},
    {"Carbon", "C", 6, 12.011},      {"Nitrogen", "N", 7, 14.007},    {"Oxygen", "O", 8, 15.999},
    {"Fluorine", "F", 9, 18.998},    {"Neon", "Ne", 10, 20.18},       {"Sodium", "Na", 11, 22.99},
    {"Magnesium", "Mg", 12, 24.305}, {"Aluminium", "Al", 13, 26.982}, {"Silicon", "Si", 14, 28.085},
    {"Phosphorus", "P", 15, 30.974}, {"Sulfur", "S", 16, 32.06},      {"Chlorine", "Cl", 17, 35.45},
    {"Argon", "Ar", 18, 39.95},      {"Potassium", "K", 19, 39.098},  {"Calcium", "Ca", 20, 40.078},
    {"Iron", "Fe", 26, 55.845},      {"Copper", "Cu", 29, 63.546},    {"Zinc", "Zn", 30, 65.38},
    {"Silver", "Ag", 47, 107.87},    {"Gold", "Au", 79, 196.97},      {"Lead", "Pb", 82, 207.2},
}};

// date_calculator: the proleptic Gregorian calendar as days since 1970-01-01.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d);
std::string civil_from_days(std::int64_t days);  // YYYY-MM-DD

}  // namespace hermes::data
