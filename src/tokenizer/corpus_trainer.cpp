// Training from corpus files on every rank: each rank counts its byte range of the corpus, the
// counts go to the ranks that own their pre-tokens, and every rank merges its own words with
// the count changes of each merge round exchanged (DeltaExchanger), ending with the same
// tokenizer everywhere.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>

#include <nlohmann/json.hpp>

#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"
#include "hermes/tokenizer/chat_template.hpp"
#include "hermes/tokenizer/trainer.hpp"
#include "impl.hpp"

namespace hermes::tokenizer {

namespace {

struct Source {
  std::string file;
  std::uint64_t size;
};

// Calls record(line, byte offset) for every line whose first byte lies in [begin, end) of the
// file, streaming in blocks. Lines keep their '\n'.
template <class F>
void for_each_line(const std::string& file, std::uint64_t begin, std::uint64_t end, F&& record) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail("cannot open corpus file {}; check [tokenizer] inputs", file);
  std::uint64_t pos = begin;
  if (begin > 0) {  // a line that started before begin belongs to the previous rank
    in.seekg(static_cast<std::streamoff>(begin - 1));
    char c = 0;
    in.get(c);
    if (c != '\n') {
      std::string skip;
      std::getline(in, skip);
      pos = begin + skip.size() + (in.eof() ? 0 : 1);
    }
  } else {
    in.seekg(0);
  }
  constexpr std::size_t kBlock = 1 << 22;
  std::string buffer;
  std::vector<char> block(kBlock);
  std::size_t start = 0;  // first unconsumed byte in buffer; buffer[0] is at file offset `pos`
  while (pos < end) {
    in.read(block.data(), kBlock);
    const std::size_t got = static_cast<std::size_t>(in.gcount());
    buffer.erase(0, start);
    start = 0;
    buffer.append(block.data(), got);
    std::size_t nl;
    while (pos < end && (nl = buffer.find('\n', start)) != std::string::npos) {
      record(std::string_view(buffer).substr(start, nl + 1 - start), pos);
      pos += nl + 1 - start;
      start = nl + 1;
    }
    if (got < kBlock) {  // end of file: a last line without '\n'
      if (pos < end && start < buffer.size()) record(std::string_view(buffer).substr(start), pos);
      break;
    }
  }
}

void count_record(PretokenCounter& counter, const CorpusOptions& c, std::string_view line, const std::string& file,
                  std::uint64_t offset) {
  if (c.format == "text") {
    counter.add_text(line);
    return;
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return;
  const std::string where = fmt::format("{} (record at byte {})", file, offset);
  if (c.format == "jsonl") {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      fail("{}: not valid JSON ({}); fix the record or use format = \"text\"", where, e.what());
    }
    if (!j.is_object() || !j.contains(c.text_field) || !j[c.text_field].is_string())
      fail("{}: no string field \"{}\"; set [tokenizer] text_field", where, c.text_field);
    counter.add_text(j[c.text_field].get_ref<const std::string&>());
  } else if (c.format == "sharegpt") {
    counter.add_text(render(conversation_from_sharegpt(line, where)).text);
  } else {
    fail("[tokenizer] format '{}' is not known; use text, jsonl or sharegpt", c.format);
  }
}

double thread_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// The merge phase's per-step exchange of count changes. Most steps change a few dozen pairs, so
// one all-gather of a fixed block (a record count and up to kInline records per rank) carries
// them; only steps where some rank has more add a variable all-gather of the rest. Waits are short
// (every rank is busy merging) but frequent: they poll and yield the core at each poll, so that on
// a shared or oversubscribed machine a waiting rank does not hold the core its peer needs.
class DeltaExchanger {
 public:
  static constexpr std::size_t kInline = 96;
  explicit DeltaExchanger(const dist::Communicator& comm)
      : comm_(comm), n_(comm.size()), block_(1 + 2 * kInline), all_(block_ * n_), sizes_(n_), displs_(n_) {}

  void exchange(std::vector<PairDelta>& records) {
    static_assert(sizeof(PairDelta) == 16);
    std::vector<std::uint64_t> mine(block_, 0);
    const std::size_t count = records.size(), inline_count = std::min(count, kInline);
    mine[0] = count;
    std::memcpy(mine.data() + 1, records.data(), inline_count * sizeof(PairDelta));
    comm_.allgather(mine, all_, dist::Wait::yielding);
    std::size_t rest = 0;
    for (int p = 0; p < n_; ++p) {
      const std::size_t c = all_[p * block_];
      displs_[p] = static_cast<int>(rest);
      sizes_[p] = static_cast<int>((c > kInline ? c - kInline : 0) * sizeof(PairDelta));
      rest += c > kInline ? c - kInline : 0;
    }
    std::vector<PairDelta> tail(rest);
    if (rest > 0) {
      for (int p = 0; p < n_; ++p) displs_[p] *= static_cast<int>(sizeof(PairDelta));
      if (rest * sizeof(PairDelta) > (1u << 31) - 1)
        fail("tokenizer merge: one step changed over 2 GiB of pair counts");
      comm_.allgatherv(std::as_bytes(std::span(records).subspan(inline_count)), std::as_writable_bytes(std::span(tail)),
                       sizes_, displs_, dist::Wait::yielding);
    }
    records.clear();
    for (int p = 0; p < n_; ++p) {
      const std::uint64_t* b = all_.data() + p * block_;
      const std::size_t c = std::min<std::size_t>(b[0], kInline);
      const auto* r = reinterpret_cast<const PairDelta*>(b + 1);
      records.insert(records.end(), r, r + c);
    }
    records.insert(records.end(), tail.begin(), tail.end());
  }

 private:
  const dist::Communicator& comm_;
  int n_;
  std::size_t block_;
  std::vector<std::uint64_t> all_;
  std::vector<int> sizes_, displs_;
};

// The corpus files with their sizes.
std::vector<Source> corpus_sources(const CorpusOptions& corpus) {
  std::vector<Source> sources;
  for (const auto& f : corpus.files) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(f, ec);
    if (ec) fail("cannot read corpus file {} ({}); check [tokenizer] inputs", f, ec.message());
    sources.push_back({f, size});
  }
  return sources;
}

// Counts this rank's byte range [begin, end) of the concatenated corpus files. A rank that fails
// reading (bad record, unreadable file) stops every rank, with its message on that rank.
void count_byte_range(PretokenCounter& counter, const CorpusOptions& corpus, const std::vector<Source>& sources,
                      std::uint64_t begin, std::uint64_t end, const dist::Communicator& comm) {
  std::string error;
  try {
    std::uint64_t offset = 0;
    for (const auto& s : sources) {
      const std::uint64_t fb = std::max(begin, offset), fe = std::min(end, offset + s.size);
      if (fb < fe)
        for_each_line(s.file, fb - offset, fe - offset, [&](std::string_view line, std::uint64_t at) {
          count_record(counter, corpus, line, s.file, at);
        });
      offset += s.size;
    }
  } catch (const Error& e) {
    error = e.what();
  }
  // Waits around counting sleep between polls: a rank done early must not spin on the core a
  // slower rank's counting needs.
  if (comm.any(!error.empty(), dist::Wait::patient)) {
    if (!error.empty()) throw Error(error);
    fail("tokenizer training stopped: another rank failed reading the corpus (see its message)");
  }
}

// Each distinct pre-token of `counter` sent to the rank that owns it (shard_of), which sums them:
// returns this rank's owned counts. `counter` is emptied on the way to free its memory.
PretokenCounter send_to_owners(PretokenCounter& counter, const TrainerOptions& options,
                               const dist::Communicator& comm) {
  const int n = comm.size();
  std::string payload;
  std::vector<int> send_sizes(n), send_displs(n), recv_sizes(n), recv_displs(n);
  for (int p = 0; p < n; ++p) {
    const std::string part = counter.serialize_shard(static_cast<std::size_t>(p), static_cast<std::size_t>(n));
    if (part.size() > (1u << 31) - 1 || payload.size() + part.size() > (1u << 31) - 1)
      fail("pre-token counts on rank {} exceed 2 GiB; use fewer distinct pre-tokens (max_bytes)", comm.rank());
    send_displs[p] = static_cast<int>(payload.size());
    send_sizes[p] = static_cast<int>(part.size());
    payload += part;
  }
  comm.alltoall(send_sizes, recv_sizes, dist::Wait::patient);
  std::size_t sum = 0;
  for (int p = 0; p < n; ++p) recv_displs[p] = static_cast<int>(sum), sum += recv_sizes[p];
  if (sum > (1u << 31) - 1)
    fail("pre-token counts owned by rank {} exceed 2 GiB; use fewer distinct pre-tokens (max_bytes)", comm.rank());
  std::string all(sum, '\0');
  comm.alltoallv(payload, send_sizes, send_displs, all, recv_sizes, recv_displs, dist::Wait::patient);
  counter = PretokenCounter(options);  // frees this rank's full counts
  payload = std::string();
  PretokenCounter owned(options);
  for (int p = 0; p < n; ++p) owned.add_serialized(std::string_view(all).substr(recv_displs[p], recv_sizes[p]));
  return owned;
}

}  // namespace

Tokenizer train_from_corpus(const CorpusOptions& corpus, const TrainerOptions& options, const dist::Communicator& comm,
                            TrainingReport* report) {
  validate(options);
  if (corpus.files.empty())
    fail("{}: no corpus files to train on; set [tokenizer] inputs or [data] inputs", options.where);
  const auto t0 = std::chrono::steady_clock::now();
  const double count_cpu0 = thread_cpu_seconds();
  const std::vector<Source> sources = corpus_sources(corpus);
  std::uint64_t total = 0;
  for (const auto& s : sources) total += s.size;
  if (corpus.max_bytes > 0) total = std::min<std::uint64_t>(total, corpus.max_bytes);
  // This rank's byte range of the concatenated inputs.
  const std::uint64_t begin = total * static_cast<std::uint64_t>(comm.rank()) / comm.size();
  const std::uint64_t end = total * static_cast<std::uint64_t>(comm.rank() + 1) / comm.size();
  PretokenCounter counter(options);
  count_byte_range(counter, corpus, sources, begin, end, comm);

  // Totals: bytes, records, invalid bytes, distinct pre-tokens.
  const int n = comm.size();
  std::array<std::uint64_t, 4> stats{counter.bytes(), counter.records(), counter.invalid_bytes(), 0};
  std::optional<PretokenCounter> owned;
  if (n > 1) {
    comm.allreduce_sum(std::span(stats).first(3), dist::Wait::patient);
    owned.emplace(send_to_owners(counter, options, comm));
    std::uint64_t distinct = owned->distinct();
    comm.allreduce_sum(std::span(&distinct, 1), dist::Wait::patient);
    stats[3] = distinct;
  } else {
    stats[3] = counter.distinct();
  }
  const auto t1 = std::chrono::steady_clock::now();
  const double count_cpu = thread_cpu_seconds() - count_cpu0;
  // Every rank merges its own words and ends with the same tokenizer: no broadcast.
  double exchange_seconds = 0, exchange_cpu = 0;
  std::uint64_t exchanges = 0;
  const double merge_cpu0 = thread_cpu_seconds();
  Tokenizer tok;
  if (n > 1) {
    DeltaExchanger exchanger(comm);
    tok = train_shard(*owned, options, [&](std::vector<PairDelta>& records) {
      const auto e0 = std::chrono::steady_clock::now();
      const double c0 = thread_cpu_seconds();
      exchanger.exchange(records);
      exchange_cpu += thread_cpu_seconds() - c0;
      ++exchanges;
      exchange_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - e0).count();
    });
  } else {
    tok = train(counter, options);
  }
  const auto t2 = std::chrono::steady_clock::now();
  // CPU time of this rank's merging outside the exchanges, and the largest over ranks: what the
  // merge phase costs on cores nobody else uses, less the exchange latency.
  std::array<double, 2> cpu{thread_cpu_seconds() - merge_cpu0 - exchange_cpu, count_cpu};
  if (n > 1) comm.allreduce_max(cpu);
  if (report) {
    report->merge_cpu_seconds = cpu[0];
    report->count_cpu_seconds = cpu[1];
    report->bytes = stats[0];
    report->records = stats[1];
    report->invalid_bytes = stats[2];
    report->distinct_pretokens = stats[3];
    report->merges = tok.impl().merge_list.size();
    report->count_seconds = std::chrono::duration<double>(t1 - t0).count();
    report->merge_seconds = std::chrono::duration<double>(t2 - t1).count();
    report->exchange_seconds = exchange_seconds;
    report->exchanges = exchanges;
  }
  if (stats[2] > 0 && comm.is_root())
    log::warn("tokenizer corpus held {} bytes of invalid UTF-8; they were counted as single bytes", stats[2]);
  return tok;
}

}  // namespace hermes::tokenizer
