#include "hermes/app/train_corpus.hpp"

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "hermes/core/durable.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"
#include "hermes/core/strings.hpp"
#include "hermes/deck/parser.hpp"

namespace hermes::app {
namespace fs = std::filesystem;

namespace {
constexpr const char* kStdinCorpus = "{run_dir}/stdin.txt";
}

void TrainCorpus::broadcast(const dist::Communicator& comm) {
  std::string packed = from_stdin ? "1" : "0";
  for (const auto& o : overrides) packed += "\n" + o;  // overrides are TOML: newlines are escaped
  comm.broadcast(packed);
  from_stdin = packed[0] == '1';
  overrides = split(packed.substr(1), '\n');
  if (!overrides.empty() && overrides.front().empty()) overrides.erase(overrides.begin());
}

std::string corpus_format(const std::string& path, const std::optional<std::string>& given) {
  if (given) return *given;
  const std::string ext = fs::path(path).extension().string();
  if (ext != ".jsonl" && ext != ".json" && ext != ".ndjson") return "text";
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto record = nlohmann::json::parse(line, nullptr, false);
    return record.is_object() && record.contains("conversations") ? "sharegpt" : "jsonl";
  }
  return "jsonl";
}

TrainCorpus plan_train_corpus(const TrainCorpusFlags& f) {
  TrainCorpus c;
  if (!f.data && f.has_config) return c;
  const bool from_stdin = !f.data || *f.data == "-";
  std::string input, format;
  if (from_stdin) {
    if (isatty(STDIN_FILENO))
      fail(
          "hermes train: no --data given and standard input is a terminal; pass --data corpus.txt (plain text, "
          "JSONL, ShareGPT JSONL, or a folder of prepared shards), or pipe a corpus in");
    input = kStdinCorpus;
    format = f.format.value_or("text");
    c.stdin_text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    const fs::path p = *f.data;
    if (fs::is_directory(p)) return c;  // prepared shards: pretrain reads data.output_dir
    if (!fs::exists(p))
      fail(
          "--data {}: no such file or folder; give a corpus file (.txt, .jsonl), - for standard input, or a "
          "folder of prepared shards",
          *f.data);
    input = fs::absolute(p).lexically_normal().string();
    format = corpus_format(input, f.format);
  }
  c.from_stdin = from_stdin;
  const bool have_tokenizer = f.tokenizer && fs::is_regular_file(*f.tokenizer);
  c.overrides.push_back(have_tokenizer ? R"(run.stages=["prepare", "pretrain"])"
                                       : R"(run.stages=["tokenizer", "prepare", "pretrain"])");
  c.overrides.push_back("data.inputs=" + deck::toml_string_array({input}));
  c.overrides.push_back("data.format=" + deck::toml_string(format));
  if (format == "text") {
    std::string sample = c.stdin_text.substr(0, 1 << 20);
    if (!from_stdin) {
      sample.resize(1 << 20);
      std::ifstream in(input, std::ios::binary);
      in.read(sample.data(), static_cast<std::streamsize>(sample.size()));
      sample.resize(static_cast<std::size_t>(in.gcount()));
    }
    const std::string separator = text_separator_for(sample);
    if (separator != "\n\n") {
      log::info("train: {} has no blank line between documents: each line is a document",
                from_stdin ? "standard input" : input);
      c.overrides.push_back("data.doc_separator=" + deck::toml_string(separator));
    }
  }
  if (f.text_field) c.overrides.push_back("data.text_field=" + deck::toml_string(*f.text_field));
  if (f.tokenizer) c.overrides.push_back("tokenizer.path=" + deck::toml_string(*f.tokenizer));
  if (f.vocab_size) c.overrides.push_back(fmt::format("tokenizer.vocab_size={}", *f.vocab_size));
  return c;
}

std::string text_separator_for(std::string_view sample) {
  return sample.find("\n\n") == std::string_view::npos && sample.find('\n') != std::string_view::npos ? "\n" : "\n\n";
}

void save_standard_input(const std::string& text, const fs::path& run_dir, bool resuming) {
  const fs::path path = run_dir / "stdin.txt";
  if (resuming && fs::exists(path)) {
    log::info("train: resuming on the standard input saved in {}", path.string());
    return;
  }
  if (text.empty())
    fail(
        "hermes train: standard input was empty; pipe a corpus in (cat corpus.txt | hermes train ...) or pass "
        "--data corpus.txt");
  write_file_durably(path, text);
  log::info("train: {} of standard input saved in {}", format_bytes(static_cast<double>(text.size())), path.string());
}

}  // namespace hermes::app
