#pragma once
// Rank-aware logging. Rank 0 prints progress to stdout; every rank prints its warnings and errors
// to stderr tagged with its rank; a run's log file (rank 0) gets everything with timestamps.
#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace hermes::log {

enum class Level { debug, info, warn, error };

void init(int rank, int size, Level level = Level::info);
void set_level(Level level);
Level parse_level(const std::string& name);  // throws hermes::Error on an unknown name
// Mirror rank 0's log into a file (the run directory's hermes.log).
void add_file(const std::filesystem::path& path);
int rank();

void emit(Level level, const std::string& message);

template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  emit(Level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  emit(Level::debug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  emit(Level::warn, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  emit(Level::error, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace hermes::log
