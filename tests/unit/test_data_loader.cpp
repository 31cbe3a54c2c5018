// The loader: windows come from the split's token stream, the order is seeded per epoch, ranks
// take disjoint windows, and a saved cursor resumes the exact batch sequence.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "../support/data_stand_in.hpp"
#include "../support/temp_dir.hpp"
#include "hermes/core/error.hpp"
#include "hermes/data/loader.hpp"
#include "hermes/data/prepare.hpp"
#include "hermes/data/random.hpp"
#include "hermes/data/shard.hpp"
#include "hermes/data/synth.hpp"
#include "hermes/dist/communicator.hpp"

using namespace hermes::data;
using namespace hermes::test;

namespace {

constexpr std::int64_t T = 32;

struct Stream {
  std::vector<std::int32_t> tokens;
  std::vector<std::uint8_t> mask;
};

// A dataset of the whole corpus in train (small shards, so windows cross shard boundaries).
std::filesystem::path make_dataset(const TempDir& dir, bool conversations) {
  PrepareOptions o;
  o.output_dir = dir / "data";
  o.shard_tokens = 1500;
  o.val_fraction = o.test_fraction = 0;
  if (conversations) {
    write_synth_corpus(dir / "c.jsonl", 11, 60);
    o.inputs = {(dir / "c.jsonl").string()};
    o.corpus.format = "sharegpt";
    o.assistant_mask = true;
  } else {
    Rng rng(5);
    std::string text;
    for (int d = 0; d < 150; ++d) {
      text += "document " + std::to_string(d) + ":";
      for (auto w = rng.range(1, 40); w > 0; --w) text += " " + std::to_string(rng.below(100000));
      text += "\n\n";
    }
    o.inputs = {dir.write("a.txt", text)};
  }
  prepare_dataset(o, stand_in_encoder(), hermes::dist::Communicator::world());
  return o.output_dir;
}

Stream stream_of(const std::filesystem::path& data) {
  Stream s;
  const auto manifest = read_manifest(data);
  for (const auto& sh : manifest["splits"]["train"]["shards"]) {
    const ShardData d = read_shard(data / sh["file"].get<std::string>());
    s.tokens.insert(s.tokens.end(), d.tokens.begin(), d.tokens.end());
    if (d.loss_mask.empty())
      s.mask.insert(s.mask.end(), d.tokens.size(), 1);
    else
      s.mask.insert(s.mask.end(), d.loss_mask.begin(), d.loss_mask.end());
  }
  return s;
}

LoaderOptions options(const std::filesystem::path& data, int rank = 0, int world = 1) {
  LoaderOptions o;
  o.dataset_dir = data;
  o.batch = 3;
  o.seq_len = T;
  o.seed = 1234;
  o.rank = rank;
  o.world = world;
  return o;
}

// The window index (start / T) a batch row came from, found by matching against the stream.
std::int64_t window_of(const Stream& s, const Batch& b, std::int64_t row) {
  const std::int64_t windows = (static_cast<std::int64_t>(s.tokens.size()) - 1) / T;
  std::int64_t found = -1;
  for (std::int64_t w = 0; w < windows; ++w) {
    bool same = true;
    for (std::int64_t t = 0; t < T && same; ++t)
      same = s.tokens[w * T + t] == b.inputs[row * T + t] && s.tokens[w * T + t + 1] == b.targets[row * T + t] &&
             s.mask[w * T + t + 1] == b.mask[row * T + t];
    if (same) {
      EXPECT_EQ(found, -1) << "ambiguous window";
      found = w;
    }
  }
  EXPECT_NE(found, -1) << "row " << row << " is not a window of the stream";
  return found;
}

}  // namespace

TEST(DataLoader, BatchesAreStreamWindowsInSeededOrder) {
  TempDir dir;
  const auto data = make_dataset(dir, false);
  const Stream s = stream_of(data);
  Loader a(options(data)), b(options(data));
  auto other = options(data);
  other.seed = 99;
  Loader c(other);
  EXPECT_EQ(a.total_tokens(), static_cast<std::int64_t>(s.tokens.size()));
  const std::int64_t windows = (a.total_tokens() - 1) / T;
  EXPECT_EQ(a.batches_per_epoch(), windows / 3);
  std::set<std::int64_t> seen;
  int differ = 0;
  Batch x, y, z;
  for (std::int64_t i = 0; i < a.batches_per_epoch(); ++i) {
    a.next(x), b.next(y), c.next(z);
    EXPECT_EQ(x.inputs, y.inputs);
    EXPECT_EQ(x.mask, y.mask);
    differ += x.inputs != z.inputs;
    for (std::int64_t r = 0; r < 3; ++r) EXPECT_TRUE(seen.insert(window_of(s, x, r)).second) << "window repeated";
  }
  EXPECT_GT(differ, a.batches_per_epoch() / 2) << "another seed, another order";
  // Shuffled: not the stream order.
  std::vector<std::int64_t> order(seen.begin(), seen.end());
  EXPECT_EQ(static_cast<std::int64_t>(seen.size()), a.batches_per_epoch() * 3);
  // The next epoch starts over with a different order.
  EXPECT_EQ(a.cursor().epoch, 0u);
  a.next(x);
  EXPECT_EQ(a.cursor().epoch, 1u);
  Loader fresh(options(data));
  fresh.next(y);
  EXPECT_NE(x.inputs, y.inputs);
}

TEST(DataLoader, UnshuffledReadsTheStreamInOrderWithTheLossMask) {
  TempDir dir;
  const auto data = make_dataset(dir, true);
  const Stream s = stream_of(data);
  auto o = options(data);
  o.shuffle = false;
  Loader l(o);
  Batch b;
  std::int64_t expected = 0, masked_out = 0;
  for (std::int64_t i = 0; i < l.batches_per_epoch(); ++i) {
    l.next(b);
    ASSERT_EQ(b.inputs.size(), 3u * T);
    for (std::int64_t r = 0; r < 3; ++r, ++expected) {
      for (std::int64_t t = 0; t < T; ++t) {
        ASSERT_EQ(b.inputs[r * T + t], s.tokens[expected * T + t]);
        ASSERT_EQ(b.targets[r * T + t], s.tokens[expected * T + t + 1]);
        ASSERT_EQ(b.mask[r * T + t], s.mask[expected * T + t + 1]);
        masked_out += b.mask[r * T + t] == 0;
      }
    }
  }
  EXPECT_GT(masked_out, 0) << "conversations: user and system tokens are masked out";
}

// Document starts (for attention's document mask) come from the shards' /doc_offsets: each input
// position gets where its document begins in the window, across shard boundaries too.
TEST(DataLoader, DocumentStartsFollowTheShardsDocumentOffsets) {
  TempDir dir;
  const auto data = make_dataset(dir, false);
  std::set<std::int64_t> starts;  // stream positions where a document begins
  std::int64_t base = 0, shards = 0;
  const auto manifest = read_manifest(data);
  for (const auto& sh : manifest["splits"]["train"]["shards"]) {
    const ShardData d = read_shard(data / sh["file"].get<std::string>());
    for (auto off : d.doc_offsets) starts.insert(base + static_cast<std::int64_t>(off));
    base += static_cast<std::int64_t>(d.tokens.size());
    ++shards;
  }
  ASSERT_GT(shards, 1) << "the test needs windows across shard boundaries";
  auto o = options(data);
  o.shuffle = false;
  Loader plain(o);
  o.document_starts = true;
  Loader l(o);
  Batch b;
  plain.next(b);
  EXPECT_TRUE(b.doc_start.empty()) << "without document_starts no starts are filled";
  std::int64_t window = 0, inside = 0;
  for (std::int64_t i = 0; i < l.batches_per_epoch(); ++i) {
    l.next(b);
    ASSERT_EQ(b.doc_start.size(), 3u * T);
    for (std::int64_t r = 0; r < 3; ++r, ++window)
      for (std::int64_t t = 0; t < T; ++t) {
        std::int64_t expected = 0;
        for (std::int64_t u = t; u >= 0; --u)
          if (starts.count(window * T + u)) {
            expected = u;
            break;
          }
        ASSERT_EQ(b.doc_start[r * T + t], expected) << "window " << window << " position " << t;
        inside += expected > 0;
      }
  }
  EXPECT_GT(inside, 0) << "documents start inside windows";
}

TEST(DataLoader, RanksTakeDisjointWindows) {
  TempDir dir;
  const auto data = make_dataset(dir, false);
  const Stream s = stream_of(data);
  Loader r0(options(data, 0, 2)), r1(options(data, 1, 2));
  EXPECT_EQ(r0.batches_per_epoch(), r1.batches_per_epoch());
  EXPECT_EQ(r0.batches_per_epoch(), ((r0.total_tokens() - 1) / T) / 6);
  std::set<std::int64_t> w0, w1;
  Batch b0, b1;
  for (std::int64_t i = 0; i < r0.batches_per_epoch(); ++i) {
    r0.next(b0), r1.next(b1);
    for (std::int64_t r = 0; r < 3; ++r) w0.insert(window_of(s, b0, r)), w1.insert(window_of(s, b1, r));
  }
  EXPECT_EQ(static_cast<std::int64_t>(w0.size()), r0.batches_per_epoch() * 3);
  EXPECT_EQ(static_cast<std::int64_t>(w1.size()), r0.batches_per_epoch() * 3);
  for (auto w : w0) EXPECT_FALSE(w1.count(w)) << "window " << w << " on both ranks";
  // Together the two ranks see the same windows a 1-rank loader with twice the batch sees.
  auto single = options(data);
  single.batch = 6;
  Loader one(single);
  std::set<std::int64_t> w;
  Batch b;
  for (std::int64_t i = 0; i < one.batches_per_epoch(); ++i) {
    one.next(b);
    for (std::int64_t r = 0; r < 6; ++r) w.insert(window_of(s, b, r));
  }
  std::set<std::int64_t> both = w0;
  both.insert(w1.begin(), w1.end());
  EXPECT_EQ(both, w);
}

TEST(DataLoader, ResumesExactlyFromASavedCursor) {
  TempDir dir;
  const auto data = make_dataset(dir, false);
  Loader run(options(data, 1, 2));
  const std::int64_t per_epoch = run.batches_per_epoch();
  Batch b;
  for (std::int64_t i = 0; i < per_epoch - 2; ++i) run.next(b);
  const LoaderCursor saved = run.cursor();
  std::vector<Batch> expected(static_cast<std::size_t>(per_epoch));
  for (auto& e : expected) run.next(e);  // crosses into the next epoch
  EXPECT_EQ(run.cursor().epoch, 1u);

  auto o = options(data, 1, 2);
  o.seed = 777;  // the cursor's seed wins on restore
  Loader resumed(o);
  resumed.restore(saved);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    resumed.next(b);
    ASSERT_EQ(b.inputs, expected[i].inputs) << "batch " << i << " after resume";
    ASSERT_EQ(b.targets, expected[i].targets);
    ASSERT_EQ(b.mask, expected[i].mask);
  }
  EXPECT_EQ(resumed.cursor().epoch, run.cursor().epoch);
  EXPECT_EQ(resumed.cursor().position, run.cursor().position);

  LoaderCursor bad = saved;
  bad.position = 1u << 30;
  EXPECT_THROW(resumed.restore(bad), hermes::Error);
}

TEST(DataLoader, TooSmallSplitSaysWhatToChange) {
  TempDir dir;
  const auto data = make_dataset(dir, false);
  auto o = options(data);
  o.seq_len = 4096;
  o.batch = 64;
  try {
    Loader l(o);
    FAIL() << "accepted a split smaller than one batch";
  } catch (const hermes::Error& e) {
    EXPECT_NE(std::string(e.what()).find("lower train.batch_size"), std::string::npos) << e.what();
  }
  o.split = "validation";
  EXPECT_THROW(Loader{o}, hermes::Error);
}

TEST(DataLoader, AnEpochOfSingleWindowsVisitsEveryWindowOnce) {
  TempDir dir;
  const auto data = make_dataset(dir, false);
  const Stream s = stream_of(data);
  for (const std::uint64_t seed : {1u, 2u, 3u}) {
    auto o = options(data);
    o.batch = 1;
    o.seed = seed;
    Loader l(o);
    const std::int64_t windows = (static_cast<std::int64_t>(s.tokens.size()) - 1) / T;
    ASSERT_EQ(l.batches_per_epoch(), windows);
    std::set<std::int64_t> seen;
    std::int64_t in_order = 0, previous = -1;
    Batch b;
    for (std::int64_t i = 0; i < windows; ++i) {
      l.next(b);
      const auto w = window_of(s, b, 0);
      seen.insert(w);
      in_order += w == previous + 1;
      previous = w;
    }
    EXPECT_EQ(static_cast<std::int64_t>(seen.size()), windows) << "a permutation of all windows";
    EXPECT_LT(in_order, windows / 4) << "shuffled, not the stream order";
  }
}
