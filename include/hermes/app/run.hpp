#pragma once
// Running a deck: the run directory, the log header, the stages in order.
#include <filesystem>
#include <functional>
#include <string>

#include "hermes/deck/deck.hpp"
#include "hermes/dist/communicator.hpp"

namespace hermes::app {

struct RunOptions {
  bool force = false;        // start over in an existing run directory
  bool keep_run_dir = true;  // false: subcommands that only write what their flags name
  // Rank 0's work once the run directory exists, before the first stage (a failure ends every
  // rank): `hermes train` saves standard input there.
  std::function<void(const std::filesystem::path& run_dir, bool resuming)> before_stages = {};
};

// Creates (or, for run.resume, reopens) <output_dir>/<name>. An existing run is never
// overwritten: without run.resume or --force that is an error on every rank. Resolves
// run.resume = "auto" to true (the run exists) or false, the same on every rank.
std::filesystem::path prepare_run_directory(deck::Deck& deck, bool force, const dist::Communicator& comm);

// Runs every stage the deck lists, in order. Returns the process exit code.
int run_deck(const deck::Deck& deck, const RunOptions& options, const dist::Communicator& comm);

}  // namespace hermes::app
