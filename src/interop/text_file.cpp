#include "hermes/interop/text_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "hermes/core/error.hpp"

namespace hermes::interop {
namespace fs = std::filesystem;

std::string read_text_file(const fs::path& path, const std::string& what) {
  if (!fs::exists(path)) fail("{}: missing; {}", path.string(), what);
  if (!fs::is_regular_file(path)) fail("{}: not a regular file; {}", path.string(), what);
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace hermes::interop
