// The prepare pipeline (see prepare.hpp for the five phases and why the output does not depend
// on the rank count).
#include "hermes/data/prepare.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <cmath>
#include <fstream>
#include <limits>
#include <optional>

#include "hermes/core/progress.hpp"
#include "hermes/core/durable.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/files.hpp"
#include "hermes/core/log.hpp"
#include "hermes/core/strings.hpp"
#include "hermes/data/random.hpp"
#include "hermes/data/shard.hpp"
#include "hermes/deck/parser.hpp"
#include "hermes/dist/communicator.hpp"

namespace hermes::data {
namespace fs = std::filesystem;
using json = nlohmann::json;

std::vector<Split> assign_splits(std::uint64_t n, double val_fraction, double test_fraction, double data_fraction,
                                 std::uint64_t seed) {
  std::vector<Split> out(n, Split::unused);
  if (n == 0) return out;
  auto count = [](double f, std::uint64_t of) {
    auto k = static_cast<std::uint64_t>(std::llround(f * static_cast<double>(of)));
    return std::min(k, of);
  };
  std::uint64_t used = std::max<std::uint64_t>(count(data_fraction, n), data_fraction > 0 ? 1 : 0);
  std::uint64_t n_test = count(test_fraction, used), n_val = count(val_fraction, used);
  if (used >= 3) {
    if (test_fraction > 0) n_test = std::max<std::uint64_t>(n_test, 1);
    if (val_fraction > 0) n_val = std::max<std::uint64_t>(n_val, 1);
  }
  while (n_test + n_val >= used && n_test + n_val > 0) (n_val >= n_test ? n_val : n_test)--;  // keep a train doc
  // Fisher-Yates with our own generator: the same split with any standard library.
  std::vector<std::uint64_t> perm(n);
  for (std::uint64_t i = 0; i < n; ++i) perm[i] = i;
  Rng rng(derive_seed(seed, "split"));
  for (std::uint64_t i = n; i > 1; --i) std::swap(perm[i - 1], perm[rng.below(i)]);
  for (std::uint64_t i = 0; i < used; ++i)
    out[perm[i]] = i < n_test ? Split::test : i < n_test + n_val ? Split::val : Split::train;
  return out;
}

namespace {
// Every field the loader and prepare read, with its type, and shard counts that add up, so a
// damaged or hand-edited manifest is one line naming the field instead of a JSON exception.
void check_manifest_schema(const json& m, const fs::path& path) {
  const auto bad = [&](const std::string& field, const char* want) {
    fail("{}: {} must be {}; the manifest is damaged: re-run the prepare stage", path.string(), field, want);
  };
  const auto count = [&](const json& obj, const char* key, const std::string& where) -> std::uint64_t {
    if (!obj.contains(key) || !obj[key].is_number_unsigned()) bad(where + "." + key, "a non-negative integer");
    return obj[key].get<std::uint64_t>();
  };
  const auto text = [&](const json& obj, const char* key, const std::string& where) -> std::string {
    if (!obj.contains(key) || !obj[key].is_string()) bad(where + "." + key, "a string");
    return obj[key].get<std::string>();
  };
  if (!m.contains("tokenizer") || !m["tokenizer"].is_object()) bad("tokenizer", "an object");
  text(m["tokenizer"], "fingerprint", "tokenizer");
  count(m["tokenizer"], "vocab_size", "tokenizer");
  if (!m.contains("settings") || !m["settings"].is_object()) bad("settings", "an object");
  if (!m.contains("inputs") || !m["inputs"].is_array()) bad("inputs", "an array");
  for (std::size_t i = 0; i < m["inputs"].size(); ++i) {
    const auto& in = m["inputs"][i];
    const std::string where = fmt::format("inputs[{}]", i);
    if (!in.is_object()) bad(where, "an object");
    text(in, "path", where);
    text(in, "hash", where);
    count(in, "size", where);
  }
  if (!m.contains("splits") || !m["splits"].is_object()) bad("splits", "an object");
  for (const char* split : {"train", "val", "test"}) {
    const std::string where = std::string("splits.") + split;
    if (!m["splits"].contains(split) || !m["splits"][split].is_object()) bad(where, "an object");
    const auto& sp = m["splits"][split];
    const auto tokens = count(sp, "tokens", where), documents = count(sp, "documents", where);
    if (!sp.contains("shards") || !sp["shards"].is_array()) bad(where + ".shards", "an array");
    std::uint64_t sum_tokens = 0, sum_documents = 0;
    for (std::size_t i = 0; i < sp["shards"].size(); ++i) {
      const auto& sh = sp["shards"][i];
      const std::string at = fmt::format("{}.shards[{}]", where, i);
      if (!sh.is_object()) bad(at, "an object");
      const auto file = text(sh, "file", at);
      // A shard lives in the dataset folder: no paths that lead elsewhere.
      if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..")
        bad(at + ".file", "a file name in the dataset folder");
      const auto n = count(sh, "tokens", at), d = count(sh, "documents", at);
      if (n > std::numeric_limits<std::uint64_t>::max() - sum_tokens) bad(at + ".tokens", "a plausible count");
      sum_tokens += n;
      sum_documents += d;
    }
    if (sum_tokens != tokens || sum_documents != documents)
      fail(
          "{}: {} counts {} tokens and {} documents but its shards add up to {} and {}; the manifest is damaged: "
          "re-run the prepare stage",
          path.string(), where, tokens, documents, sum_tokens, sum_documents);
  }
}
}  // namespace

json read_manifest(const fs::path& dir) {
  const fs::path path = dir / kManifestName;
  if (fs::exists(path)) reject_special_file(path, "re-run the prepare stage to write the manifest");
  std::ifstream in(path);
  if (!in)
    fail("{} does not exist; run the prepare stage first (or point data.output_dir at a prepared folder)",
         path.string());
  json m;
  try {
    m = json::parse(in);
  } catch (const json::exception& e) {
    fail("{} is not valid JSON ({}); re-run the prepare stage", path.string(), e.what());
  }
  if (!m.is_object() || !m.contains("format") || m["format"] != "hermes-dataset")
    fail("{} is not a hermes dataset manifest; re-run the prepare stage", path.string());
  const auto& version = m["format_version"];
  if (!version.is_number_integer() || version.get<std::int64_t>() != kShardFormatVersion)
    fail("{} has dataset format version {} but this hermes reads version {}; re-run the prepare stage to rebuild",
         path.string(), version.dump(), kShardFormatVersion);
  check_manifest_schema(m, path);
  return m;
}

namespace {

using clock_type = std::chrono::steady_clock;

// A rank-local failure becomes the same error on every rank (the first failing rank's message
// and exit code), so no rank is left waiting in a collective.
void agree_on_errors(const dist::Communicator& comm, const std::string& local_error, int local_code) {
  if (!comm.any(!local_error.empty())) return;
  for (int q = 0; q < comm.size(); ++q) {
    if (!comm.any(q == comm.rank() && !local_error.empty())) continue;
    std::string message = local_error;
    comm.broadcast(message, q);
    comm.broadcast(std::as_writable_bytes(std::span(&local_code, 1)), q);
    throw CollectiveError(message, local_code);
  }
}

template <typename F>
void collectively(const dist::Communicator& comm, F&& work) {
  std::string error;
  int code = kExitBadInput;
  try {
    work();
  } catch (const Error& e) {
    error = e.what();
    code = e.exit_code();
  } catch (const CollectiveError& e) {
    error = e.what();
    code = e.exit_code();
  } catch (const fs::filesystem_error& e) {
    error = e.what();
    code = kExitEnvironment;
  }
  agree_on_errors(comm, error, code);
}

void put64(std::string& s, std::uint64_t v) { s.append(reinterpret_cast<const char*>(&v), 8); }
std::uint64_t get64(const std::string& s, std::size_t& pos) {
  std::uint64_t v;
  std::memcpy(&v, s.data() + pos, 8);
  pos += 8;
  return v;
}

std::string serialize(const FileIndex& index) {
  std::string s;
  put64(s, index.size);
  put64(s, index.hash);
  put64(s, index.documents.size());
  for (const auto& d : index.documents) put64(s, d.file), put64(s, d.begin), put64(s, d.end), put64(s, d.line);
  return s;
}

FileIndex deserialize(const std::string& s) {
  FileIndex index;
  std::size_t pos = 0;
  index.size = get64(s, pos);
  index.hash = get64(s, pos);
  index.documents.resize(get64(s, pos));
  for (auto& d : index.documents)
    d.file = get64(s, pos), d.begin = get64(s, pos), d.end = get64(s, pos), d.line = get64(s, pos);
  return index;
}

std::string hex(std::uint64_t v) { return fmt::format("{:016x}", v); }

json settings_of(const PrepareOptions& o) {
  return {{"format", o.corpus.format},
          {"text_field", o.corpus.text_field},
          {"doc_separator", o.corpus.doc_separator},
          {"one_doc_per_file", o.corpus.one_doc_per_file},
          {"skip_bad_records", o.corpus.skip_bad_records},
          {"loss_mask", o.assistant_mask ? "assistant" : "all"},
          {"shard_tokens", o.shard_tokens},
          {"val_fraction", o.val_fraction},
          {"test_fraction", o.test_fraction},
          {"data_fraction", o.data_fraction},
          {"seed", o.seed}};
}

// Why the existing manifest cannot be reused ("" = reuse it).
std::string reuse_verdict(const fs::path& dir, const json& settings, const json& inputs, const Encoder& enc) {
  if (!fs::exists(dir / kManifestName)) return "no earlier shards";
  json m;
  try {
    m = read_manifest(dir);
  } catch (const Error& e) {
    return e.what();
  }
  if (m["tokenizer"].value("fingerprint", "") != enc.fingerprint)
    return fmt::format("the tokenizer changed (fingerprint {} -> {})", m["tokenizer"].value("fingerprint", ""),
                       enc.fingerprint);
  if (m["tokenizer"].value("vocab_size", std::uint64_t{0}) != enc.vocab_size) return "the vocabulary size changed";
  for (auto it = settings.begin(); it != settings.end(); ++it)
    if (m["settings"].value(it.key(), json()) != it.value()) return fmt::format("data.{} changed", it.key());
  if (m["inputs"].size() != inputs.size()) return "the list of inputs changed";
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& a = m["inputs"][i];
    const auto& b = inputs[i];
    if (a.value("path", "") != b["path"]) return "the list of inputs changed";
    if (a.value("size", std::uint64_t{0}) != b["size"] || a.value("hash", "") != b["hash"])
      return fmt::format("input {} changed", b["path"].get<std::string>());
  }
  for (const auto& split : kSplits)
    for (const auto& s : m["splits"][split]["shards"])
      if (!fs::exists(dir / s["file"].get<std::string>()))
        return fmt::format("shard {} is missing", s["file"].get<std::string>());
  return "";
}

PrepareResult summary_from_manifest(const json& m) {
  PrepareResult r;
  r.documents = m.value("documents", std::uint64_t{0});
  r.skipped_records = m.value("skipped_records", std::uint64_t{0});
  for (const auto& split : kSplits) {
    const auto& s = m["splits"][split];
    r.splits[split] = {s.value("documents", std::uint64_t{0}), s.value("tokens", std::uint64_t{0}), s["shards"].size()};
  }
  return r;
}

struct SpillPaths {
  fs::path ids, mask, lengths;
};
SpillPaths spill_paths(const fs::path& dir, int rank, const std::string& split) {
  const std::string stem = fmt::format("rank{:05}.{}", rank, split);
  return {dir / (stem + ".ids"), dir / (stem + ".mask"), dir / (stem + ".len")};
}

template <typename T>
void append(std::ofstream& out, const T* data, std::size_t n) {
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n * sizeof(T)));
}

template <typename T>
std::vector<T> read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read {}; was the prepare folder removed while running?", path.string());
  std::vector<T> v(fs::file_size(path) / sizeof(T));
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(T)));
  return v;
}

template <typename T>
void read_at(const fs::path& path, std::uint64_t offset, std::uint64_t count, T* out) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset * sizeof(T)));
  in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(count * sizeof(T)));
  if (!in) fail("cannot read {} at element {}; was the prepare folder changed while running?", path.string(), offset);
}

struct ShardPlan {
  std::string split;
  std::uint64_t number = 0;                  // within the split
  std::uint64_t doc_begin = 0, doc_end = 0;  // positions in the split's document list
  std::uint64_t token_begin = 0, token_end = 0;
  std::string file() const { return fmt::format("{}-{:05}.h5", split, number); }
};

}  // namespace

PrepareResult prepare_dataset(const PrepareOptions& o, const Encoder& enc, const dist::Communicator& comm) {
  const auto start = clock_type::now();
  const int R = comm.size(), me = comm.rank();
  const fs::path out_dir = o.output_dir;
  if (o.inputs.empty())
    throw CollectiveError("data.inputs is empty; list the corpus files to prepare in [data] inputs");
  if (!enc.encode || enc.vocab_size == 0)
    throw CollectiveError("prepare needs a tokenizer (encoder) with a vocabulary");

  // ---- 1. index every input (file f on rank f % R) and share the index ----------------------
  const std::size_t F = o.inputs.size();
  std::vector<std::string> paths(F);
  for (std::size_t f = 0; f < F; ++f) paths[f] = fs::absolute(o.inputs[f]).lexically_normal().string();
  std::vector<FileIndex> indexes(F);
  collectively(comm, [&] {
    for (std::size_t f = 0; f < F; ++f) {
      if (static_cast<int>(f % R) != me) continue;
      if (!fs::is_regular_file(paths[f]))
        fail("data.inputs: {} does not exist or is not a file; fix the path in [data] inputs", o.inputs[f]);
      indexes[f] = index_file(paths[f], f, o.corpus);
    }
  });
  for (std::size_t f = 0; f < F; ++f) {
    std::string bytes = static_cast<int>(f % R) == me ? serialize(indexes[f]) : std::string();
    comm.broadcast(bytes, static_cast<int>(f % R));
    if (static_cast<int>(f % R) != me) indexes[f] = deserialize(bytes);
  }
  std::vector<DocumentRef> docs;
  json inputs = json::array();
  std::uint64_t input_bytes = 0;
  for (std::size_t f = 0; f < F; ++f) {
    docs.insert(docs.end(), indexes[f].documents.begin(), indexes[f].documents.end());
    struct stat st {};
    ::stat(paths[f].c_str(), &st);
    inputs.push_back({{"path", paths[f]},
                      {"size", indexes[f].size},
                      {"hash", hex(indexes[f].hash)},
                      {"mtime", static_cast<std::int64_t>(st.st_mtime)}});
    input_bytes += indexes[f].size;
    indexes[f].documents = {};
  }

  // An empty corpus (or one of blank lines only) would make a dataset of nothing.
  collectively(comm, [&] {
    if (docs.empty())
      fail("data.inputs: {} hold no documents (empty, or blank lines only); give a corpus with text",
           join(o.inputs, ", "));
  });

  // ---- reuse earlier shards when nothing they depend on changed ------------------------------
  const json settings = settings_of(o);
  std::string verdict;
  if (comm.is_root()) verdict = reuse_verdict(out_dir, settings, inputs, enc);
  comm.broadcast(verdict);
  if (verdict.empty()) {
    PrepareResult r = summary_from_manifest(read_manifest(out_dir));
    r.reused = true;
    r.input_bytes = input_bytes;
    r.total_seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    return r;
  }
  const fs::path spill_dir = out_dir / ".prepare-tmp";
  collectively(comm, [&] {
    if (!comm.is_root()) return;
    fs::create_directories(out_dir);
    // Drop the old manifest first: a rebuild interrupted half-way must not look complete.
    if (fs::exists(out_dir / kManifestName)) {
      json old;
      try {
        old = read_manifest(out_dir);
      } catch (const Error&) {
      }
      fs::remove(out_dir / kManifestName);
      if (old.is_object())
        for (const auto& split : kSplits)
          for (const auto& s : old["splits"][split]["shards"]) fs::remove(out_dir / s["file"].get<std::string>());
    }
    fs::remove_all(spill_dir);
    fs::create_directories(spill_dir);
  });
  comm.barrier();

  // ---- 2. split (the same on every rank) ----------------------------------------------------
  const std::uint64_t D = docs.size();
  const std::vector<Split> split_of = assign_splits(D, o.val_fraction, o.test_fraction, o.data_fraction, o.seed);

  // ---- 3. tokenize this rank's contiguous range of documents, balanced by bytes ---------------
  std::vector<std::uint64_t> cum(D + 1, 0);
  for (std::uint64_t d = 0; d < D; ++d)
    cum[d + 1] = cum[d] + (split_of[d] == Split::unused ? 0 : docs[d].end - docs[d].begin + 1);
  auto boundary = [&](int q) -> std::uint64_t {
    if (q >= R) return D;
    const std::uint64_t target = cum[D] * static_cast<std::uint64_t>(q) / static_cast<std::uint64_t>(R);
    return static_cast<std::uint64_t>(std::lower_bound(cum.begin(), cum.end(), target) - cum.begin());
  };
  const std::uint64_t lo = std::min(boundary(me), D), hi = std::min(boundary(me + 1), D);
  PrepareResult result;
  result.input_bytes = input_bytes;
  result.rebuild_reason = verdict;
  std::uint64_t skipped = 0;
  std::string first_skipped;
  const auto encode_start = clock_type::now();
  collectively(comm, [&] {
    std::ofstream ids[3], masks[3], lens[3];
    for (int s = 0; s < 3; ++s) {
      const auto p = spill_paths(spill_dir, me, kSplits[s]);
      ids[s].open(p.ids, std::ios::binary);
      lens[s].open(p.lengths, std::ios::binary);
      if (o.assistant_mask) masks[s].open(p.mask, std::ios::binary);
      if (!ids[s] || !lens[s])
        fail_environment("cannot write in {}; check that data.output_dir is writable", spill_dir.string());
    }
    std::optional<MappedFile> map;
    std::uint64_t mapped = ~std::uint64_t{0};
    std::vector<std::uint8_t> ones;
    std::int64_t my_bytes = 0;
    for (std::uint64_t d = lo; d < hi; ++d)
      if (split_of[d] != Split::unused) my_bytes += static_cast<std::int64_t>(docs[d].end - docs[d].begin);
    Progress progress("prepare: encoding", "bytes", my_bytes);
    for (std::uint64_t d = lo; d < hi; ++d) {
      if (split_of[d] == Split::unused) continue;
      progress.set(static_cast<std::int64_t>(result.rank_input_bytes));
      const auto s = static_cast<int>(split_of[d]);
      const auto& ref = docs[d];
      if (ref.file != mapped) map.emplace(paths[ref.file]), mapped = ref.file;
      const std::string_view bytes = map->bytes().substr(ref.begin, ref.end - ref.begin);
      result.rank_input_bytes += bytes.size();
      std::uint64_t length = 0;
      if (auto doc = parse_document(bytes, o.inputs[ref.file], ref.line, o.corpus)) {
        const EncodedDocument e = enc.encode(*doc);
        if (!e.mask.empty() && e.mask.size() != e.ids.size())
          fail("internal error: the encoder gave {} mask values for {} ids", e.mask.size(), e.ids.size());
        length = e.ids.size();
        append(ids[s], e.ids.data(), e.ids.size());
        if (o.assistant_mask) {
          if (e.mask.empty()) ones.assign(e.ids.size(), 1);
          append(masks[s], e.mask.empty() ? ones.data() : e.mask.data(), e.ids.size());
        }
      } else {
        if (skipped++ == 0) first_skipped = fmt::format("{}:{}", o.inputs[ref.file], ref.line);
      }
      append(lens[s], &length, 1);
    }
    progress.set(static_cast<std::int64_t>(result.rank_input_bytes));
    for (int s = 0; s < 3; ++s) {
      ids[s].close(), lens[s].close();
      if (o.assistant_mask) masks[s].close();
      if (!ids[s] || !lens[s]) fail_environment("writing in {} failed (disk full?)", spill_dir.string());
    }
  });
  result.encode_seconds = std::chrono::duration<double>(clock_type::now() - encode_start).count();
  std::uint64_t total_skipped = skipped;
  comm.allreduce_sum(std::span<std::uint64_t>(&total_skipped, 1));
  result.skipped_records = total_skipped;
  if (skipped > 0)
    log::warn("skipped {} malformed record{} (data.skip_bad_records = true), the first at {}", skipped,
              skipped == 1 ? "" : "s", first_skipped);
  comm.barrier();

  // ---- 4. plan shards from the global per-document lengths, write shard k on rank k % R -------
  std::vector<ShardPlan> plans;
  std::map<std::string, std::vector<std::uint64_t>> lengths, rank_tokens;  // per split
  std::map<std::string, std::vector<std::uint64_t>> doc_ids;               // global doc index per position
  for (int s = 0; s < 3; ++s) {
    const std::string& split = kSplits[s];
    auto& len = lengths[split];
    for (int q = 0; q < R; ++q) {
      const auto part = read_all<std::uint64_t>(spill_paths(spill_dir, q, split).lengths);
      std::uint64_t t = 0;
      for (auto v : part) t += v;
      rank_tokens[split].push_back(t);
      len.insert(len.end(), part.begin(), part.end());
    }
    for (std::uint64_t d = 0; d < D; ++d)
      if (split_of[d] == static_cast<Split>(s)) doc_ids[split].push_back(d);
    HERMES_ASSERT(doc_ids[split].size() == len.size());
    ShardPlan cur{split, 0, 0, 0, 0, 0};
    std::uint64_t token = 0;
    for (std::uint64_t i = 0; i < len.size(); ++i) {
      token += len[i];
      if (token - cur.token_begin >= o.shard_tokens) {
        cur.doc_end = i + 1, cur.token_end = token;
        plans.push_back(cur);
        cur = {split, cur.number + 1, i + 1, i + 1, token, token};
      }
    }
    if (token > cur.token_begin) {
      cur.doc_end = len.size(), cur.token_end = token;
      plans.push_back(cur);
    }
  }
  collectively(comm, [&] {
    for (std::size_t k = static_cast<std::size_t>(me); k < plans.size(); k += static_cast<std::size_t>(R)) {
      const ShardPlan& p = plans[k];
      const auto& len = lengths[p.split];
      ShardData data;
      data.tokens.resize(p.token_end - p.token_begin);
      if (o.assistant_mask) data.loss_mask.resize(data.tokens.size());
      // Token range [token_begin, token_end) of the split, gathered from the ranks' spill files.
      std::uint64_t rank_start = 0;
      for (int q = 0; q < R; ++q) {
        const std::uint64_t rank_end = rank_start + rank_tokens[p.split][static_cast<std::size_t>(q)];
        const std::uint64_t a = std::max(rank_start, p.token_begin), b = std::min(rank_end, p.token_end);
        if (a < b) {
          const auto sp = spill_paths(spill_dir, q, p.split);
          read_at(sp.ids, a - rank_start, b - a, data.tokens.data() + (a - p.token_begin));
          if (o.assistant_mask) read_at(sp.mask, a - rank_start, b - a, data.loss_mask.data() + (a - p.token_begin));
        }
        rank_start = rank_end;
      }
      ShardHeader h;
      h.tokenizer_fingerprint = enc.fingerprint;
      h.vocab_size = enc.vocab_size;
      h.split = p.split;
      std::uint64_t offset = 0;
      data.doc_offsets.push_back(0);
      for (std::uint64_t i = p.doc_begin; i < p.doc_end; ++i) {
        if (len[i] == 0) continue;  // a skipped record
        offset += len[i];
        data.doc_offsets.push_back(offset);
        const std::string& src = o.inputs[docs[doc_ids[p.split][i]].file];
        if (std::find(h.sources.begin(), h.sources.end(), src) == h.sources.end()) h.sources.push_back(src);
      }
      write_shard(out_dir / p.file(), h, data);
    }
  });
  comm.barrier();

  // ---- 5. the manifest, last ----------------------------------------------------------------
  json splits = json::object();
  for (const auto& split : kSplits) {
    SplitSummary sum;
    json shards = json::array();
    for (const auto& p : plans) {
      if (p.split != split) continue;
      std::uint64_t n = 0;
      for (std::uint64_t i = p.doc_begin; i < p.doc_end; ++i) n += lengths[split][i] > 0;
      shards.push_back({{"file", p.file()}, {"documents", n}, {"tokens", p.token_end - p.token_begin}});
      sum.documents += n, sum.tokens += p.token_end - p.token_begin, ++sum.shards;
    }
    splits[split] = {{"documents", sum.documents}, {"tokens", sum.tokens}, {"shards", shards}};
    result.splits[split] = sum;
  }
  result.documents = D;
  collectively(comm, [&] {
    if (!comm.is_root()) return;
    json m = {
        {"format", "hermes-dataset"},
        {"format_version", kShardFormatVersion},
        {"tokenizer", {{"fingerprint", enc.fingerprint}, {"vocab_size", enc.vocab_size}, {"path", o.tokenizer_path}}},
        {"token_dtype", enc.vocab_size <= 65536 ? "uint16" : "uint32"},
        {"has_loss_mask", o.assistant_mask},
        {"settings", settings},
        {"inputs", inputs},
        {"documents", D},
        {"skipped_records", result.skipped_records},
        {"splits", splits}};
    write_file_durably(out_dir / kManifestName, m.dump(2) + "\n");
    fs::remove_all(spill_dir);
  });
  comm.barrier();
  result.total_seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  return result;
}

}  // namespace hermes::data
