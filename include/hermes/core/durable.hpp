#pragma once
// Files that survive a crash or a power loss: every file a run depends on (checkpoints, `latest`,
// shards, the manifest, exported models) is written to <path>.tmp, made durable with fsync, and
// renamed over <path>, and the folder is synced so the rename itself persists. A failure at any
// step (a full disk, an I/O error) is one error naming the file; the previous <path> is untouched
// and the temporary file is removed.
#include <filesystem>
#include <functional>
#include <string_view>

namespace hermes {

// fsync(tmp), rename(tmp, path), fsync(path's folder).
void durable_replace(const std::filesystem::path& tmp, const std::filesystem::path& path);

// Writes `text` to <path>.tmp, then durable_replace.
void write_file_durably(const std::filesystem::path& path, std::string_view text);

// Calls write(<path>.tmp) (HDF5 files, say), then durable_replace. On any failure the temporary
// file is removed and <path> is untouched; a hermes::Error from writing what hermes made itself
// is the machine's fault, so a bad-input code becomes exit 1.
void write_durably(const std::filesystem::path& path,
                   const std::function<void(const std::filesystem::path& tmp)>& write);

}  // namespace hermes
