#include "hermes/data/corpus.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "hermes/core/error.hpp"
#include "hermes/core/strings.hpp"

namespace hermes::data {

MappedFile::MappedFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail("cannot open {}: {}; check data.inputs", path.string(), std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    fail("cannot stat {}: {}", path.string(), std::strerror(errno));
  }
  size_ = static_cast<std::size_t>(st.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      ::close(fd);
      fail("cannot map {}: {}", path.string(), std::strerror(errno));
    }
    ::madvise(p, size_, MADV_SEQUENTIAL);
    data_ = static_cast<const char*>(p);
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<char*>(data_), size_);
}

std::uint64_t hash_bytes(std::string_view bytes, std::uint64_t seed) {
  // Multiply-rotate over 8-byte words, then a SplitMix finalizer; fast enough to hash inputs
  // while indexing them.
  std::uint64_t h = seed ^ (0x9e3779b97f4a7c15ULL * (bytes.size() + 1));
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    h = (h ^ (w * 0xff51afd7ed558ccdULL)) * 0xc4ceb9fe1a85ec53ULL;
    h = (h << 29) | (h >> 35);
  }
  std::uint64_t tail = 0;
  if (bytes.size() > i) std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
  h ^= tail * 0x9e3779b97f4a7c15ULL;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

namespace {

bool blank(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
  return true;
}

std::uint64_t count_newlines(std::string_view s) {
  std::uint64_t n = 0;
  for (const char* p = s.data(); (p = static_cast<const char*>(std::memchr(p, '\n', s.data() + s.size() - p))); ++p)
    ++n;
  return n;
}

}  // namespace

FileIndex index_file(const std::filesystem::path& path, std::uint64_t file_number, const CorpusOptions& o) {
  const MappedFile map(path);
  const std::string_view b = map.bytes();
  FileIndex index;
  index.size = b.size();
  index.hash = hash_bytes(b);
  auto add = [&](std::size_t begin, std::size_t end, std::uint64_t line) {
    index.documents.push_back({file_number, begin, end, line});
  };
  if (o.format == "text") {
    // Drop newlines around each piece so runs of blank lines never leak into documents.
    auto add_text = [&](std::size_t begin, std::size_t end, std::uint64_t line) {
      while (begin < end && (b[begin] == '\n' || b[begin] == '\r')) line += b[begin++] == '\n';
      while (end > begin && (b[end - 1] == '\n' || b[end - 1] == '\r')) --end;
      if (!blank(b.substr(begin, end - begin))) add(begin, end, line);
    };
    if (o.one_doc_per_file) {
      add_text(0, b.size(), 1);
      return index;
    }
    if (o.doc_separator.empty())
      fail("data.doc_separator is empty; set a separator (default a blank line) or data.one_doc_per_file = true");
    std::size_t begin = 0;
    std::uint64_t line = 1;
    while (begin <= b.size()) {
      std::size_t end = b.find(o.doc_separator, begin);
      if (end == std::string_view::npos) end = b.size();
      add_text(begin, end, line);
      if (end == b.size()) break;
      line += count_newlines(b.substr(begin, end + o.doc_separator.size() - begin));
      begin = end + o.doc_separator.size();
    }
    return index;
  }
  // JSONL and ShareGPT: one record per non-blank line.
  std::size_t begin = 0;
  std::uint64_t line = 1;
  while (begin < b.size()) {
    const char* nl = static_cast<const char*>(std::memchr(b.data() + begin, '\n', b.size() - begin));
    const std::size_t end = nl ? static_cast<std::size_t>(nl - b.data()) : b.size();
    if (!blank(b.substr(begin, end - begin))) add(begin, end, line);
    begin = end + 1;
    ++line;
  }
  return index;
}

namespace {

const char* kRoles[] = {"system", "human", "gpt", "tool", "user", "assistant"};

std::string type_name(const nlohmann::json& v) { return v.type_name(); }

}  // namespace

tokenizer::Conversation sharegpt_conversation(const nlohmann::json& r, const std::string& where) {
  if (!r.is_object()) fail("{}: a ShareGPT record must be a JSON object, got {}", where, type_name(r));
  if (!r.contains("conversations"))
    fail(
        "{}: record has no field 'conversations'; ShareGPT records are {{\"conversations\": [{{\"from\": ..., "
        "\"value\": ...}}], \"tools\": ...}}",
        where);
  const auto& c = r["conversations"];
  if (!c.is_array()) fail("{}: 'conversations' must be an array, got {}", where, type_name(c));
  if (c.empty()) fail("{}: 'conversations' is empty", where);
  tokenizer::Conversation conv;
  for (std::size_t i = 0; i < c.size(); ++i) {
    const auto& m = c[i];
    if (!m.is_object()) fail("{}: conversations[{}] must be an object with 'from' and 'value'", where, i);
    for (const char* key : {"from", "value"}) {
      if (!m.contains(key)) fail("{}: conversations[{}] has no field '{}'", where, i, key);
      if (!m[key].is_string())
        fail("{}: conversations[{}].{} must be a string, got {}", where, i, key, type_name(m[key]));
    }
    const std::string from = m["from"].get<std::string>();
    if (std::find(std::begin(kRoles), std::end(kRoles), from) == std::end(kRoles))
      fail("{}: conversations[{}].from is '{}'; expected system, human, gpt or tool (or user, assistant)", where, i,
           from);
    conv.messages.push_back({from, m["value"].get<std::string>()});
  }
  conv.tools_json = sharegpt_tools(r, where);
  return conv;
}

std::string sharegpt_tools(const nlohmann::json& r, const std::string& where) {
  if (!r.contains("tools") || r["tools"].is_null()) return "";
  const auto& t = r["tools"];
  if (t.is_array()) return t.dump();
  if (!t.is_string()) fail("{}: 'tools' must be a JSON string (or an array), got {}", where, type_name(t));
  auto text = t.get<std::string>();
  if (!text.empty() && !nlohmann::json::accept(text))
    fail("{}: 'tools' is a string but not valid JSON; it must hold the JSON list of tool schemas", where);
  return text;
}

std::optional<Document> parse_document(std::string_view bytes, const std::string& file, std::uint64_t line,
                                       const CorpusOptions& o) {
  Document d;
  if (o.format == "text") {
    d.text = std::string(bytes);
    return d;
  }
  const std::string where = fmt::format("{}:{}", file, line);
  try {
    // nlohmann's parser stops at a NUL byte and would drop the rest of the line unread.
    if (bytes.find('\0') != std::string_view::npos)
      fail("{}: holds a NUL byte; a JSONL record is one line of UTF-8 JSON text", where);
    nlohmann::json r;
    try {
      r = nlohmann::json::parse(bytes);
    } catch (const nlohmann::json::exception& e) {
      fail("{}: malformed JSON ({}); fix the line or set data.skip_bad_records = true to skip such lines", where,
           e.what());
    }
    if (o.format == "jsonl") {
      if (!r.is_object()) fail("{}: a JSONL record must be an object, got {}", where, type_name(r));
      if (!r.contains(o.text_field)) {
        std::vector<std::string> keys;
        for (auto it = r.begin(); it != r.end(); ++it) keys.push_back(it.key());
        fail("{}: record has no field '{}' (data.text_field); its fields are: {}", where, o.text_field,
             join(keys, ", "));
      }
      if (!r[o.text_field].is_string())
        fail("{}: field '{}' must be a string, got {}", where, o.text_field, type_name(r[o.text_field]));
      d.text = r[o.text_field].get<std::string>();
      return d;
    }
    if (o.format != "sharegpt") fail("unknown corpus format '{}'; use text, jsonl or sharegpt", o.format);
    d.is_conversation = true;
    d.conversation = sharegpt_conversation(r, where);
    return d;
  } catch (const Error&) {
    if (o.skip_bad_records) return std::nullopt;
    throw;
  }
}

std::vector<Document> read_corpus(const std::vector<std::string>& files, const CorpusOptions& options,
                                  std::uint64_t* skipped) {
  std::vector<Document> docs;
  std::uint64_t bad = 0;
  for (std::size_t f = 0; f < files.size(); ++f) {
    const FileIndex index = index_file(files[f], f, options);
    const MappedFile map(files[f]);
    for (const auto& ref : index.documents) {
      auto d = parse_document(map.bytes().substr(ref.begin, ref.end - ref.begin), files[f], ref.line, options);
      if (d)
        docs.push_back(std::move(*d));
      else
        ++bad;
    }
  }
  if (skipped) *skipped = bad;
  return docs;
}

}  // namespace hermes::data
