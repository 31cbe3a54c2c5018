#pragma once
// Small files written whole: to <path>.tmp, then renamed, so a reader never sees half a file.
#include <filesystem>
#include <string>

namespace hermes::interop {

void write_text_file(const std::filesystem::path& path, const std::string& text);
// Reads a whole regular file; one error naming the file when it is missing or not a file.
std::string read_text_file(const std::filesystem::path& path, const std::string& what);

}  // namespace hermes::interop
