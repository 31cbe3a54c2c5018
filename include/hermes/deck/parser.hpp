#pragma once
// Reading, overriding, validating and writing input decks.
//
// Every error is one line naming the file, line and column (or the command-line override), the
// key, what was expected, and a did-you-mean where a near miss exists, e.g.
//   inputs/gpt2.toml:14:1: [train] unknown key 'batchsize'; did you mean 'batch_size'?
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/deck/deck.hpp"

namespace hermes::dist {
class Communicator;
}

namespace hermes::deck {

// Parses TOML text. `source_name` is used in messages; `overrides` are "section.key=value"
// strings applied on top of the text before validation (value parsed as TOML, else taken as a
// bare string).
Deck parse_deck(std::string_view text, const std::string& source_name, const std::vector<std::string>& overrides = {});
Deck load_deck_file(const std::filesystem::path& path, const std::vector<std::string>& overrides = {});

// Rank 0 reads and validates (a path, or the embedded quickstart when `path` is empty), then
// broadcasts the effective deck; every rank re-reads that same text, so every rank ends with an
// identical Deck. A deck error is thrown on every rank as a CollectiveError.
// `base_text`/`base_name`, when given, replace the embedded quickstart as the deck used when
// `path` is empty (subcommands build a small deck from their flags this way).
Deck load_deck_collective(const dist::Communicator& comm, const std::string& path,
                          const std::vector<std::string>& overrides, std::string_view base_text = {},
                          const std::string& base_name = {});

// TOML literals for building overrides from command-line flags.
std::string toml_string(const std::string& raw);
std::string toml_string_array(const std::vector<std::string>& items);

// The effective deck as TOML, every key written (model keys resolved from the preset).
std::string to_toml(const Deck& deck);

// The embedded default deck (inputs/quickstart.toml at build time).
std::string_view embedded_quickstart();

// Cross-key checks that need the whole deck (called by parse_deck).
void validate(const Deck& deck, const std::string& source_name);

}  // namespace hermes::deck
