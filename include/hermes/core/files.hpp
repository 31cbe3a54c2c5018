#pragma once
// Checks on the files a user names (decks, tokenizers, prompts, checkpoints, shards) before they
// are opened: a FIFO would block the open forever and /dev/zero never ends.
#include <filesystem>
#include <string>
#include <string_view>

namespace hermes {

// Fails with one line naming the file, what it is instead and `fix` when `path` exists but is not
// a regular file (or a link to one). A missing path is left to the caller's own message.
void reject_special_file(const std::filesystem::path& path, std::string_view fix);

// The whole of a regular file (a deck, a tokenizer.json, a JSON document). Fails with one line,
// "cannot open <what> '<path>': no such file; <fix>", when it is missing or unreadable, and as
// reject_special_file does when it is not a regular file.
std::string read_file(const std::filesystem::path& path, std::string_view what, std::string_view fix);

}  // namespace hermes
