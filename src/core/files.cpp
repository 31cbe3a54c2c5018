#include "hermes/core/files.hpp"

#include <fstream>
#include <sstream>

#include "hermes/core/error.hpp"

namespace hermes {
namespace fs = std::filesystem;

void reject_special_file(const fs::path& path, std::string_view fix) {
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st) || fs::is_regular_file(st)) return;
  const char* what = fs::is_directory(st)                                 ? "a directory"
                     : fs::is_fifo(st)                                    ? "a FIFO (named pipe)"
                     : fs::is_socket(st)                                  ? "a socket"
                     : fs::is_character_file(st) || fs::is_block_file(st) ? "a device"
                                                                          : "not a regular file";
  fail("{}: is {}, not a regular file; {}", path.string(), what, fix);
}

std::string read_file(const fs::path& path, std::string_view what, std::string_view fix) {
  reject_special_file(path, fix);
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail("cannot open {} '{}': {}; {}", what, path.string(), fs::exists(path) ? "permission denied" : "no such file",
         fix);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) fail_environment("reading {} '{}' failed (an I/O error)", what, path.string());
  return text.str();
}

}  // namespace hermes
