#pragma once
// Small files read whole (written with core/durable.hpp's write_file_durably).
#include <filesystem>
#include <string>

namespace hermes::interop {

// Reads a whole regular file; one error naming the file when it is missing or not a file.
std::string read_text_file(const std::filesystem::path& path, const std::string& what);

}  // namespace hermes::interop
