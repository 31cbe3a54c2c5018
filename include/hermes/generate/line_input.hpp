#pragma once
// The user's lines in `hermes chat`. With a terminal on standard input and libedit in the build
// (Debian's libedit-dev), lines are read through libedit: arrow keys, Home/End, history with
// up/down and Ctrl-R. Anything else (a pipe, a file, a test's stream, a build without libedit)
// reads plain lines from the stream.
#include <iosfwd>
#include <optional>
#include <string>

namespace hermes::generate {

class LineInput {
 public:
  LineInput(std::istream& in, std::ostream& out);
  ~LineInput();
  LineInput(const LineInput&) = delete;
  LineInput& operator=(const LineInput&) = delete;

  // The next line without its end of line, or nothing at the end of input (Ctrl-D).
  std::optional<std::string> read(const std::string& prompt);
  bool editing() const { return editing_; }

 private:
  std::istream& in_;
  std::ostream& out_;
  bool editing_ = false;
};

}  // namespace hermes::generate
