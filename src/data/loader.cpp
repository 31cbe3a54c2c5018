// The loader: the split's tokens, concatenated in shard order, form one stream; window w is
// stream[w*T, w*T + T + 1) (windows overlap by one token so every token but the first is a target
// exactly once). The epoch's window order is a keyed Feistel permutation: O(1) memory, random
// access, and a cursor of three integers restores it exactly.
#include "hermes/data/loader.hpp"

#include <algorithm>
#include <list>
#include <optional>
#include <map>

#include <nlohmann/json.hpp>

#include "hermes/core/error.hpp"
#include "hermes/data/prepare.hpp"
#include "hermes/data/random.hpp"
#include "hermes/data/shard.hpp"

namespace hermes::data {
namespace {

// A bijection of [0, n): a 4-round Feistel network on the smallest even-width power of two
// >= n, with cycle walking back into range (fewer than 4 steps expected).
class Permutation {
 public:
  Permutation(std::uint64_t n, std::uint64_t key) : n_(n) {
    int bits = 2;
    while (bits < 64 && (std::uint64_t{1} << bits) < n) bits += 2;
    half_ = bits / 2;
    mask_ = (std::uint64_t{1} << half_) - 1;
    for (int r = 0; r < 4; ++r) keys_[r] = derive_seed(key, static_cast<std::uint64_t>(r));
  }
  std::uint64_t operator()(std::uint64_t i) const {
    if (n_ <= 1) return i;
    do i = encrypt(i);
    while (i >= n_);
    return i;
  }

 private:
  std::uint64_t encrypt(std::uint64_t x) const {
    std::uint64_t l = x >> half_, r = x & mask_;
    for (auto k : keys_) {
      const std::uint64_t f = mix64(r ^ k) & mask_;
      const std::uint64_t nl = r;
      r = l ^ f;
      l = nl;
    }
    return (l << half_) | r;
  }
  std::uint64_t n_, mask_ = 0, keys_[4] = {};
  int half_ = 1;
};

}  // namespace

struct Loader::Impl {
  LoaderOptions o;
  std::vector<std::filesystem::path> shard_paths;
  std::vector<std::uint64_t> shard_start;  // first stream token of each shard; back() = total
  std::uint64_t windows = 0, per_epoch = 0, global_batch = 0;
  LoaderCursor cur;
  std::optional<Permutation> perm;
  std::uint64_t perm_epoch = ~std::uint64_t{0};
  // Open shards, least recently used first (a bounded number of open files).
  std::list<std::pair<std::size_t, ShardReader>> open;
  std::vector<std::int32_t> window;
  std::vector<std::uint8_t> window_mask;
  std::vector<std::int32_t> window_starts;  // filled only with LoaderOptions::document_starts

  const ShardReader& reader(std::size_t s) {
    for (auto it = open.begin(); it != open.end(); ++it)
      if (it->first == s) {
        open.splice(open.end(), open, it);
        return open.back().second;
      }
    if (open.size() >= 64) open.pop_front();
    ShardReader r(shard_paths[s]);
    check_shard_header(r.header(), shard_paths[s], o.tokenizer_fingerprint);
    if (r.header().split != o.split)
      fail("{} holds split '{}' but the manifest lists it under '{}'; re-run the prepare stage",
           shard_paths[s].string(), r.header().split, o.split);
    if (r.header().tokens != shard_start[s + 1] - shard_start[s])
      fail("{} holds {} tokens but {} says {}; the shard or the manifest is damaged: re-run the prepare stage",
           shard_paths[s].string(), r.header().tokens, kManifestName, shard_start[s + 1] - shard_start[s]);
    open.emplace_back(s, std::move(r));
    return open.back().second;
  }

  // Stream tokens [begin, begin + count) and their mask, across shard boundaries; with `starts`,
  // also each token's document start as an offset from `begin` (0 when its document began
  // earlier). Documents never cross shards.
  void read(std::uint64_t begin, std::uint64_t count, std::int32_t* tokens, std::uint8_t* mask, std::int32_t* starts) {
    auto s = static_cast<std::size_t>(std::upper_bound(shard_start.begin(), shard_start.end(), begin) -
                                      shard_start.begin() - 1);
    std::int32_t current = 0;
    for (std::uint64_t done = 0; done < count; ++s) {
      const std::uint64_t local = begin + done - shard_start[s];
      const std::uint64_t n = std::min(count - done, shard_start[s + 1] - (begin + done));
      const ShardReader& r = reader(s);
      r.read_tokens(local, n, tokens + done);
      r.read_mask(local, n, mask + done);
      if (starts) {
        const auto& offsets = r.doc_offsets();
        auto it = std::lower_bound(offsets.begin(), offsets.end(), local);
        for (std::uint64_t i = 0; i < n; ++i) {
          while (it != offsets.end() && *it < local + i) ++it;
          if (it != offsets.end() && *it == local + i) current = static_cast<std::int32_t>(done + i);
          starts[done + i] = current;
        }
      }
      done += n;
    }
  }

  std::uint64_t window_at(std::uint64_t position) {
    if (!o.shuffle) return position;
    if (perm_epoch != cur.epoch) {
      perm.emplace(windows, derive_seed(derive_seed(cur.seed, "loader"), cur.epoch));
      perm_epoch = cur.epoch;
    }
    return (*perm)(position);
  }
};

Loader::Loader(const LoaderOptions& options) : impl_(std::make_unique<Impl>()) {
  auto& m = *impl_;
  m.o = options;
  if (options.seq_len < 1) fail("loader: seq_len must be at least 1 (train.seq_len)");
  if (options.batch < 1) fail("loader: batch must be at least 1 (train.batch_size)");
  if (options.world < 1 || options.rank < 0 || options.rank >= options.world)
    fail("loader: rank {} is outside a world of {}", options.rank, options.world);
  const nlohmann::json manifest = read_manifest(options.dataset_dir);
  const std::string manifest_path = (options.dataset_dir / kManifestName).string();
  const std::string fp = manifest["tokenizer"].value("fingerprint", "");
  if (!options.tokenizer_fingerprint.empty() && fp != options.tokenizer_fingerprint)
    fail(
        "{}: the shards were made by another tokenizer (fingerprint {}, the deck's tokenizer has {}); re-run the "
        "prepare stage with this tokenizer or set tokenizer.path to the one the shards were made with",
        manifest_path, fp, options.tokenizer_fingerprint);
  if (!manifest["splits"].contains(options.split))
    fail("{} has no split '{}'; splits are train, val and test", manifest_path, options.split);
  m.shard_start.push_back(0);
  for (const auto& s : manifest["splits"][options.split]["shards"]) {
    m.shard_paths.push_back(options.dataset_dir / s.at("file").get<std::string>());
    m.shard_start.push_back(m.shard_start.back() + s.at("tokens").get<std::uint64_t>());
  }
  const std::uint64_t total = m.shard_start.back();
  const auto T = static_cast<std::uint64_t>(options.seq_len);
  m.windows = total > T ? (total - 1) / T : 0;
  m.global_batch = static_cast<std::uint64_t>(options.batch) * static_cast<std::uint64_t>(options.world);
  m.per_epoch = m.windows / m.global_batch;
  if (m.per_epoch == 0 && !options.allow_too_short)
    fail(
        "split '{}' of {} has {} tokens, {} windows of seq_len + 1 = {}; one global batch needs {} (batch {} x {} "
        "ranks); lower train.batch_size or train.seq_len, or give the split more data (data.val_fraction, "
        "data.test_fraction)",
        options.split, options.dataset_dir.string(), total, m.windows, T + 1, m.global_batch, options.batch,
        options.world);
  m.cur.seed = options.seed;
  m.window.resize(T + 1);
  m.window_mask.resize(T + 1);
  if (options.document_starts) m.window_starts.resize(T + 1);
}

Loader::~Loader() = default;
Loader::Loader(Loader&&) noexcept = default;
Loader& Loader::operator=(Loader&&) noexcept = default;

void Loader::next(Batch& out) {
  auto& m = *impl_;
  if (m.per_epoch == 0) fail("internal: next() on split '{}', which is shorter than one global batch", m.o.split);
  if (m.cur.position + m.global_batch > m.per_epoch * m.global_batch) {
    ++m.cur.epoch;
    m.cur.position = 0;
  }
  const auto B = m.o.batch, T = m.o.seq_len;
  out.batch = B, out.seq_len = T;
  out.inputs.resize(static_cast<std::size_t>(B * T));
  out.targets.resize(static_cast<std::size_t>(B * T));
  out.mask.resize(static_cast<std::size_t>(B * T));
  out.doc_start.resize(m.o.document_starts ? static_cast<std::size_t>(B * T) : 0);
  for (std::int64_t b = 0; b < B; ++b) {
    // Rank r takes positions r, r + R, ... of the global batch: ranks never share a window.
    const std::uint64_t position = m.cur.position + static_cast<std::uint64_t>(m.o.rank + b * m.o.world);
    const std::uint64_t w = m.window_at(position);
    m.read(w * static_cast<std::uint64_t>(T), static_cast<std::uint64_t>(T) + 1, m.window.data(), m.window_mask.data(),
           m.o.document_starts ? m.window_starts.data() : nullptr);
    std::copy(m.window.begin(), m.window.end() - 1, out.inputs.begin() + b * T);
    std::copy(m.window.begin() + 1, m.window.end(), out.targets.begin() + b * T);
    std::copy(m.window_mask.begin() + 1, m.window_mask.end(), out.mask.begin() + b * T);
    if (m.o.document_starts)
      std::copy(m.window_starts.begin(), m.window_starts.end() - 1, out.doc_start.begin() + b * T);
  }
  m.cur.position += m.global_batch;
}

std::int64_t Loader::batches_per_epoch() const { return static_cast<std::int64_t>(impl_->per_epoch); }
std::int64_t Loader::total_tokens() const { return static_cast<std::int64_t>(impl_->shard_start.back()); }
LoaderCursor Loader::cursor() const { return impl_->cur; }

void Loader::restore(const LoaderCursor& cursor) {
  auto& m = *impl_;
  if (cursor.position > m.per_epoch * m.global_batch)
    fail(
        "loader cursor position {} is past the end of an epoch ({} windows of this split); the checkpoint "
        "belongs to another dataset or seq_len",
        cursor.position, m.per_epoch * m.global_batch);
  m.cur = cursor;  // the cursor's seed wins: a resumed run keeps its window order
  m.perm_epoch = ~std::uint64_t{0};
}

}  // namespace hermes::data
