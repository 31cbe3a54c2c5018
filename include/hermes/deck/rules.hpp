#pragma once
// What a deck value may be: ranges for numbers, choices for strings, required keys. One Rule per
// field, declared next to the field in deck.hpp, enforced by the reader with a precise message.
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace hermes::deck {

struct Rule {
  std::optional<double> min, max;    // inclusive bounds for numbers (and array lengths)
  bool min_exclusive = false;        // (min, ...] instead of [min, ...]
  std::vector<std::string> choices;  // allowed strings (each element, for string arrays)
  bool required = false;
  bool non_empty = false;              // strings and arrays
  const char* pattern_hint = nullptr;  // extra words for the "expected" part of a message

  Rule& at_least(double v) {
    min = v;
    return *this;
  }
  Rule& above(double v) {
    min = v;
    min_exclusive = true;
    return *this;
  }
  Rule& at_most(double v) {
    max = v;
    return *this;
  }
  Rule& in(double lo, double hi) {
    min = lo;
    max = hi;
    return *this;
  }
  Rule& one_of(std::vector<std::string> c) {
    choices = std::move(c);
    return *this;
  }
  Rule& must() {
    required = true;
    return *this;
  }
  Rule& filled() {
    non_empty = true;
    return *this;
  }
};

inline Rule rule() { return Rule{}; }

}  // namespace hermes::deck
