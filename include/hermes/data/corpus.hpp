#pragma once
// Corpus readers: plain text (documents split on a separator, or one document per file), JSONL
// with a text field, and ShareGPT JSONL (conversations rendered later by the chat template).
//
// Reading is two steps so that ranks can share the work: `index_file` finds document boundaries
// (cheap, one pass over the bytes) and `parse_document` turns one document's bytes into text or a
// conversation (the expensive part runs on the rank that owns the document).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "hermes/tokenizer/chat_template.hpp"

namespace hermes::data {

struct CorpusOptions {
  std::string format = "text";  // text, jsonl or sharegpt
  std::string text_field = "text";
  std::string doc_separator = "\n\n";
  bool one_doc_per_file = false;
  bool skip_bad_records = false;
};

// One document's place in the inputs: bytes [begin, end) of input `file`, starting on `line`
// (1-based; for error messages).
struct DocumentRef {
  std::uint64_t file = 0, begin = 0, end = 0, line = 0;
};

struct FileIndex {
  std::vector<DocumentRef> documents;
  std::uint64_t size = 0;
  std::uint64_t hash = 0;  // content hash (hash_bytes)
};

// Finds the documents of one input. Plain text: separator-delimited pieces with leading and
// trailing newlines dropped; whitespace-only pieces are not documents. JSONL/ShareGPT: every
// non-blank line. Throws hermes::Error when the file cannot be read.
FileIndex index_file(const std::filesystem::path& path, std::uint64_t file_number, const CorpusOptions& options);

struct Document {
  std::string text;                      // text and jsonl formats
  bool is_conversation = false;          // sharegpt
  tokenizer::Conversation conversation;  // sharegpt
};

// Parses one document. A malformed record throws hermes::Error "<file>:<line>: <what>; <fix>"
// unless options.skip_bad_records, where it returns nullopt (the caller counts it).
std::optional<Document> parse_document(std::string_view bytes, const std::string& file, std::uint64_t line,
                                       const CorpusOptions& options);

// A ShareGPT record (already parsed JSON) as a conversation; `where` prefixes error messages.
tokenizer::Conversation sharegpt_conversation(const nlohmann::json& record, const std::string& where);
// A record's "tools" as JSON text ("" when absent): an array, or a string holding valid JSON.
std::string sharegpt_tools(const nlohmann::json& record, const std::string& where);

// Every document of `files`, in order (tests, tokenizer training). `skipped` counts bad records.
std::vector<Document> read_corpus(const std::vector<std::string>& files, const CorpusOptions& options,
                                  std::uint64_t* skipped = nullptr);

// A fast 64-bit content hash (not cryptographic), used to notice changed inputs.
std::uint64_t hash_bytes(std::string_view bytes, std::uint64_t seed = 0);

// A read-only memory map of a whole file (empty files map to an empty view).
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::string_view bytes() const { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace hermes::data
