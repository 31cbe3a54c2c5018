#pragma once
// `hermes train --data X`: X is either a folder of prepared shards (train on it) or a corpus, a
// plain-text, JSONL or ShareGPT JSONL file or `-` for standard input, which also trains a
// tokenizer (unless --tokenizer names an existing one) and prepares shards into the run
// directory: the stages a deck would run, built from flags.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "hermes/dist/communicator.hpp"

namespace hermes::app {

struct TrainCorpusFlags {
  std::optional<std::string> data, format, text_field, tokenizer;
  std::optional<std::int64_t> vocab_size;
  bool has_config = false;  // with --config and no --data, the deck says where the data is
};

struct TrainCorpus {
  std::vector<std::string> overrides;  // run.stages, data.*, tokenizer.* for a corpus; empty: shards
  bool from_stdin = false;             // standard input becomes <run_dir>/stdin.txt
  std::string stdin_text;              // rank 0 only: what standard input held

  bool raw() const { return !overrides.empty(); }
  // Not stdin_text: it stays on rank 0, the only rank that writes it.
  void broadcast(const dist::Communicator& comm);
};

// Decides on rank 0 (the only rank with standard input under mpirun); fails with one line for a
// --data that does not exist or a terminal as standard input.
TrainCorpus plan_train_corpus(const TrainCorpusFlags& flags);

// The corpus format of `path`: `given` when set; else "sharegpt" for a .jsonl/.json whose first
// record holds "conversations", "jsonl" for other .jsonl/.json/.ndjson, "text" for the rest.
std::string corpus_format(const std::string& path, const std::optional<std::string>& given);

// Rank 0 before the stages of a `--data -` run: the standard input read by plan_train_corpus into
// <run_dir>/stdin.txt (the saved copy is kept when the run resumes).
void save_standard_input(const std::string& text, const std::filesystem::path& run_dir, bool resuming);

// Plain text documents are separated by a blank line (data.doc_separator); a text without any
// is one document per line. Returns the separator to use for `sample`, the text's first bytes.
std::string text_separator_for(std::string_view sample);

}  // namespace hermes::app
