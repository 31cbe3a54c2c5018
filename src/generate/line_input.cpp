#include "hermes/generate/line_input.hpp"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#ifdef HERMES_HAVE_LIBEDIT
#include <editline/readline.h>
#endif

namespace hermes::generate {

LineInput::LineInput(std::istream& in, std::ostream& out) : in_(in), out_(out) {
#ifdef HERMES_HAVE_LIBEDIT
  editing_ = &in == &std::cin && &out == &std::cout && isatty(STDIN_FILENO) != 0;
  if (editing_) {
    rl_readline_name = const_cast<char*>("hermes");
    using_history();
  }
#endif
}

LineInput::~LineInput() = default;

std::optional<std::string> LineInput::read(const std::string& prompt) {
#ifdef HERMES_HAVE_LIBEDIT
  if (editing_) {
    out_ << std::flush;
    char* raw = readline(prompt.c_str());
    if (raw == nullptr) return std::nullopt;
    std::string line(raw);
    std::free(raw);
    if (!line.empty()) add_history(line.c_str());
    return line;
  }
#endif
  out_ << prompt << std::flush;
  std::string line;
  if (!std::getline(in_, line)) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace hermes::generate
