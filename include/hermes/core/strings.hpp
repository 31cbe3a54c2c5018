#pragma once
// Small string helpers shared by the deck parser and the command line.
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hermes {

// Edit distance (insert, delete, substitute, adjacent swap), for did-you-mean suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, or "" when none is close enough to be a plausible typo.
std::string closest_match(std::string_view word, std::span<const std::string> candidates);

std::string join(std::span<const std::string> items, std::string_view separator);
std::vector<std::string> split(std::string_view text, char separator);
std::string trim(std::string_view text);
bool starts_with(std::string_view text, std::string_view prefix);

// Text fit for a one-line message: control characters and bytes that are not valid UTF-8
// become \xNN escapes; valid UTF-8 (any script) is kept as it is.
std::string printable(std::string_view text);

// Human-readable sizes and counts: 1.23 GiB, 124.4M.
std::string format_bytes(double bytes);
// 1h02m, 4m05s, 37s; "?" for a negative or non-finite time.
std::string format_duration(double seconds);
// 950, 12.3k, 4.56M.
std::string format_rate(double per_second);
std::string format_count(double count);

}  // namespace hermes
