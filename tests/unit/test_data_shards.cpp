// HDF5 shard round trip and refusals.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "../support/temp_dir.hpp"
#include "hermes/core/error.hpp"
#include "hermes/data/random.hpp"
#include "hermes/data/shard.hpp"

using namespace hermes::data;
using hermes::test::TempDir;

namespace {

ShardData random_shard(std::uint64_t vocab, bool mask, std::uint64_t seed) {
  Rng rng(seed);
  ShardData d;
  d.doc_offsets = {0};
  for (int doc = 0; doc < 17; ++doc) {
    const auto n = rng.range(1, 300);
    for (std::int64_t i = 0; i < n; ++i) {
      d.tokens.push_back(static_cast<std::uint32_t>(rng.below(vocab)));
      if (mask) d.loss_mask.push_back(static_cast<std::uint8_t>(rng.below(2)));
    }
    d.doc_offsets.push_back(d.tokens.size());
  }
  return d;
}

// The header of the small training shards the refusal tests write.
ShardHeader small_train_header() {
  ShardHeader h;
  h.tokenizer_fingerprint = "abc";
  h.vocab_size = 300;
  h.split = "train";
  return h;
}

// The on-disk type of a dataset, read with the plain HDF5 API (what h5py users see).
std::size_t stored_bytes(const std::string& path, const char* name) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  const hid_t t = H5Dget_type(d);
  const std::size_t size = H5Tget_size(t);
  H5Tclose(t), H5Dclose(d), H5Fclose(f);
  return size;
}

// Rewrites the size that the chunk index records for `name`'s first chunk (a 1-D dataset's v1
// B-tree key: size, filter mask, two offsets, then the chunk's address), as a damaged disk or a
// hostile file would. Returns false when the key is not found.
bool set_recorded_chunk_size(const std::string& path, const char* name, std::uint32_t size) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  const hsize_t origin = 0;
  unsigned mask = 0;
  haddr_t addr = HADDR_UNDEF;
  hsize_t stored = 0;
  const herr_t got = H5Dget_chunk_info_by_coord(d, &origin, &mask, &addr, &stored);
  H5Dclose(d), H5Fclose(f);
  if (got < 0 || addr == HADDR_UNDEF) return false;
  std::fstream raw(path, std::ios::in | std::ios::out | std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(raw)), {});
  for (std::size_t at = bytes.find("TREE"); at != std::string::npos; at = bytes.find("TREE", at + 1)) {
    const std::size_t key = at + 24, child = key + 4 + 4 + 16;
    if (child + 8 > bytes.size() || bytes[at + 4] != 1) continue;  // node type 1: raw data chunks
    std::uint32_t recorded = 0;
    std::uint64_t address = 0;
    std::memcpy(&recorded, bytes.data() + key, 4);
    std::memcpy(&address, bytes.data() + child, 8);
    if (recorded != stored || address != addr) continue;
    raw.clear();
    raw.seekp(static_cast<std::streamoff>(key));
    raw.write(reinterpret_cast<const char*>(&size), 4);
    return static_cast<bool>(raw);
  }
  return false;
}

}  // namespace

TEST(DataShards, RoundTripNarrowAndWideTokens) {
  TempDir dir;
  for (const std::uint64_t vocab : {261ull, 65536ull, 65537ull, 200000ull}) {
    for (const bool mask : {false, true}) {
      const ShardData d = random_shard(vocab, mask, vocab * 2 + mask);
      ShardHeader h;
      h.tokenizer_fingerprint = "fp-" + std::to_string(vocab);
      h.vocab_size = vocab;
      h.split = "val";
      h.sources = {"a.jsonl", "dir/b.txt"};
      const auto path = dir / ("s" + std::to_string(vocab) + (mask ? "m" : "") + ".h5");
      write_shard(path, h, d);
      EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp"));
      ShardHeader back;
      const ShardData r = read_shard(path, &back);
      EXPECT_EQ(r.tokens, d.tokens);
      EXPECT_EQ(r.doc_offsets, d.doc_offsets);
      EXPECT_EQ(r.loss_mask, d.loss_mask);
      EXPECT_EQ(back.format_version, kShardFormatVersion);
      EXPECT_EQ(back.tokenizer_fingerprint, h.tokenizer_fingerprint);
      EXPECT_EQ(back.vocab_size, vocab);
      EXPECT_EQ(back.split, "val");
      EXPECT_EQ(back.sources, h.sources);
      EXPECT_EQ(back.documents, 17u);
      EXPECT_EQ(back.tokens, d.tokens.size());
      EXPECT_EQ(back.has_loss_mask, mask);
      EXPECT_EQ(stored_bytes(path.string(), "tokens"), vocab <= 65536 ? 2u : 4u);
      // Random access agrees with the whole read.
      ShardReader reader(path);
      std::vector<std::int32_t> part(50);
      std::vector<std::uint8_t> m(50);
      reader.read_tokens(100, 50, part.data());
      reader.read_mask(100, 50, m.data());
      for (int i = 0; i < 50; ++i) {
        EXPECT_EQ(static_cast<std::uint32_t>(part[i]), d.tokens[100 + i]);
        EXPECT_EQ(m[i], mask ? d.loss_mask[100 + i] : 1);
      }
    }
  }
}

TEST(DataShards, RefusesOtherTokenizerOlderFormatAndJunk) {
  TempDir dir;
  const ShardHeader h = small_train_header();
  write_shard(dir / "s.h5", h, random_shard(300, false, 1));
  const ShardHeader back = read_shard_header(dir / "s.h5");
  EXPECT_NO_THROW(check_shard_header(back, dir / "s.h5", "abc"));
  EXPECT_NO_THROW(check_shard_header(back, dir / "s.h5", ""));
  try {
    check_shard_header(back, dir / "s.h5", "xyz");
    FAIL() << "accepted another tokenizer";
  } catch (const hermes::Error& e) {
    EXPECT_NE(std::string(e.what()).find("another tokenizer"), std::string::npos) << e.what();
  }
  ShardHeader old = back;
  old.format_version = 0;
  try {
    check_shard_header(old, dir / "s.h5", "abc");
    FAIL() << "accepted an older format";
  } catch (const hermes::Error& e) {
    EXPECT_NE(std::string(e.what()).find("format version 0"), std::string::npos) << e.what();
  }
  // A file that is not HDF5 (e.g. an interrupted write) and ids outside the vocabulary.
  dir.write("junk.h5", "not hdf5");
  EXPECT_THROW(read_shard(dir / "junk.h5"), hermes::Error);
  ShardData bad = random_shard(300, false, 2);
  bad.tokens[3] = 300;
  EXPECT_THROW(write_shard(dir / "bad.h5", h, bad), hermes::Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.h5"));
}

TEST(DataShards, SameDataGivesByteIdenticalFiles) {
  // No timestamps inside: shards from two runs (or rank counts) can be compared with cmp.
  TempDir dir;
  ShardHeader h = small_train_header();
  h.sources = {"x.txt"};
  const ShardData d = random_shard(300, true, 9);
  write_shard(dir / "a.h5", h, d);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  write_shard(dir / "b.h5", h, d);
  auto slurp = [](const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(slurp(dir / "a.h5"), slurp(dir / "b.h5"));
}

// A chunk recorded shorter than it is: HDF5 1.10 would copy a whole chunk out of the shorter
// buffer (a read past it, found by fuzzing), so the reader refuses it first, naming the dataset.
TEST(DataShards, RefusesAChunkRecordedShorterThanItIs) {
  TempDir dir;
  const ShardHeader h = small_train_header();
  const auto path = dir / "s.h5";
  write_shard(path, h, random_shard(300, true, 3));
  ASSERT_NO_THROW(read_shard(path));
  ASSERT_TRUE(set_recorded_chunk_size(path.string(), "tokens", 48)) << "the chunk index key was not found";
  try {
    read_shard(path);
    FAIL() << "read a shard whose chunk is recorded as 48 bytes";
  } catch (const hermes::Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("/tokens"), std::string::npos) << m;
    EXPECT_NE(m.find("wrong size"), std::string::npos) << m;
    EXPECT_NE(m.find("re-run the prepare stage"), std::string::npos) << m;
  }
}
