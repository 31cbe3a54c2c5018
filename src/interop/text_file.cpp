#include "hermes/interop/text_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "hermes/core/error.hpp"

namespace hermes::interop {
namespace fs = std::filesystem;

void write_text_file(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail("{}: cannot write ({}); check the folder is writable", tmp.string(), std::strerror(errno));
    out << text;
    out.flush();
    if (!out) fail("{}: write failed (disk full?); nothing was replaced", tmp.string());
  }
  fs::rename(tmp, path);
}

std::string read_text_file(const fs::path& path, const std::string& what) {
  if (!fs::exists(path)) fail("{}: missing; {}", path.string(), what);
  if (!fs::is_regular_file(path)) fail("{}: not a regular file; {}", path.string(), what);
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace hermes::interop
