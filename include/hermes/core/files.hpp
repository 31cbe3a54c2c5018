#pragma once
// Checks on the files a user names (decks, tokenizers, prompts, checkpoints, shards) before they
// are opened: a FIFO would block the open forever and /dev/zero never ends.
#include <filesystem>
#include <string_view>

namespace hermes {

// Fails with one line naming the file, what it is instead and `fix` when `path` exists but is not
// a regular file (or a link to one). A missing path is left to the caller's own message.
void reject_special_file(const std::filesystem::path& path, std::string_view fix);

}  // namespace hermes
