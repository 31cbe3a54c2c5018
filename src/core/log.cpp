#include "hermes/core/log.hpp"

#include <cstdio>
#include <memory>
#include <mutex>

#include <spdlog/sinks/basic_file_sink.h>

#include "hermes/core/error.hpp"

namespace hermes::log {
namespace {
struct State {
  int rank = 0;
  int size = 1;
  Level level = Level::info;
  std::shared_ptr<spdlog::logger> file;
  std::mutex mutex;
};
State& state() {
  static State s;
  return s;
}
spdlog::level::level_enum to_spdlog(Level l) {
  switch (l) {
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}
}  // namespace

void init(int rank, int size, Level level) {
  auto& s = state();
  s.rank = rank;
  s.size = size;
  s.level = level;
}

void set_level(Level level) { state().level = level; }

int rank() { return state().rank; }

Level parse_level(const std::string& name) {
  if (name == "debug") return Level::debug;
  if (name == "info") return Level::info;
  if (name == "warn" || name == "warning") return Level::warn;
  if (name == "error") return Level::error;
  fail("unknown log level '{}': use debug, info, warn or error", name);
}

void add_file(const std::filesystem::path& path) {
  auto& s = state();
  if (s.rank != 0) return;
  std::lock_guard lock(s.mutex);
  s.file = std::make_shared<spdlog::logger>("hermes-file",
                                            std::make_shared<spdlog::sinks::basic_file_sink_mt>(path.string(), false));
  s.file->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] %v");
  s.file->set_level(spdlog::level::debug);
  s.file->flush_on(spdlog::level::info);
}

void emit(Level level, const std::string& message) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (s.file) s.file->log(to_spdlog(level), message);
  if (level < s.level) return;
  // Progress and information come from rank 0 only; problems come from whichever rank has them.
  if (level <= Level::info) {
    if (s.rank != 0) return;
    std::fprintf(stdout, "%s\n", message.c_str());
    std::fflush(stdout);
    return;
  }
  const char* tag = level == Level::warn ? "warning" : "error";
  if (s.size > 1)
    std::fprintf(stderr, "hermes: %s [rank %d]: %s\n", tag, s.rank, message.c_str());
  else
    std::fprintf(stderr, "hermes: %s: %s\n", tag, message.c_str());
  std::fflush(stderr);
}

}  // namespace hermes::log
