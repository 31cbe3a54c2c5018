#include "hermes/core/durable.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "hermes/core/error.hpp"

namespace hermes {
namespace fs = std::filesystem;

namespace {

void remove_quietly(const fs::path& p) {
  std::error_code ignored;
  fs::remove(p, ignored);
}

// fsync of a file or folder; false with errno set on failure.
bool sync_path(const fs::path& p, bool folder) {
  const int fd = ::open(p.c_str(), folder ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return ok;
}

}  // namespace

void durable_replace(const fs::path& tmp, const fs::path& path) {
  if (!sync_path(tmp, false)) {
    const std::string why = std::strerror(errno);
    remove_quietly(tmp);
    fail_environment(
        "{}: could not be written to disk ({}); {} is unchanged; free space or fix the file system and retry",
        tmp.string(), why, path.string());
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    remove_quietly(tmp);
    fail_environment("{}: could not be renamed to {} ({})", tmp.string(), path.string(), why);
  }
  const fs::path folder = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  // Some file systems refuse fsync on a folder (EINVAL); the rename is then as durable as they allow.
  if (!sync_path(folder, true) && errno != EINVAL && errno != EBADF)
    fail_environment("{}: could not sync the folder after writing {} ({})", folder.string(), path.filename().string(),
                     std::strerror(errno));
}

void write_file_durably(const fs::path& path, std::string_view text) {
  const fs::path tmp = path.string() + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f)
    fail_environment("{}: cannot write ({}); check the folder exists and is writable", tmp.string(),
                     std::strerror(errno));
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const int saved = errno;
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) {
    remove_quietly(tmp);
    fail_environment("{}: write failed ({}); {} is unchanged; free space and retry", tmp.string(),
                     std::strerror(written ? errno : saved), path.string());
  }
  durable_replace(tmp, path);
}

void write_durably(const fs::path& path, const std::function<void(const fs::path& tmp)>& write) {
  const fs::path tmp = path.string() + ".tmp";
  try {
    write(tmp);
  } catch (const Error& e) {
    remove_quietly(tmp);
    throw Error(e.what(), e.exit_code() == kExitBadInput ? kExitEnvironment : e.exit_code());
  } catch (...) {
    remove_quietly(tmp);
    throw;
  }
  durable_replace(tmp, path);
}

}  // namespace hermes
