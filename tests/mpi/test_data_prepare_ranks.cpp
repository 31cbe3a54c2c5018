// Prepare on 2 ranks gives exactly the shards and manifest of a 1-rank reference computed in the
// same test (rank 0 alone, on MPI_COMM_SELF); a bad record on one rank fails every rank.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "../support/data_stand_in.hpp"
#include "hermes/data/prepare.hpp"
#include "hermes/data/random.hpp"
#include "hermes/data/shard.hpp"
#include "hermes/data/synth.hpp"
#include "hermes/dist/communicator.hpp"

using namespace hermes::data;
namespace fs = std::filesystem;

namespace {

fs::path shared_dir(const hermes::dist::Communicator& comm, const std::string& name) {
  std::string path;
  if (comm.is_root()) {
    path = (fs::temp_directory_path() / ("hermes_mpi_" + name + "_" + std::to_string(::getpid()))).string();
    fs::remove_all(path);
    fs::create_directories(path);
  }
  comm.broadcast(path);
  return path;
}

void expect_same_dataset(const fs::path& a, const fs::path& b) {
  const auto ma = read_manifest(a), mb = read_manifest(b);
  EXPECT_EQ(ma, mb) << "manifests differ";
  for (const auto& split : kSplits) {
    for (const auto& s : ma["splits"][split]["shards"]) {
      const std::string file = s["file"];
      ShardHeader ha, hb;
      const ShardData da = read_shard(a / file, &ha), db = read_shard(b / file, &hb);
      EXPECT_EQ(da.tokens, db.tokens) << file;
      EXPECT_EQ(da.doc_offsets, db.doc_offsets) << file;
      EXPECT_EQ(da.loss_mask, db.loss_mask) << file;
      EXPECT_EQ(ha.sources, hb.sources) << file;
      EXPECT_EQ(ha.split, hb.split) << file;
    }
  }
}

}  // namespace

TEST(DataPrepareRanks, TwoRanksWriteTheOneRankShards) {
  const auto world = hermes::dist::Communicator::world();
  ASSERT_EQ(world.size(), 2);
  const fs::path dir = shared_dir(world, "same");
  if (world.is_root()) {
    // Uneven documents over three files, so rank ranges cut through a file.
    Rng rng(3);
    for (int f = 0; f < 3; ++f) {
      std::ofstream out(dir / ("t" + std::to_string(f) + ".txt"));
      for (int d = 0; d < 90 + 40 * f; ++d) {
        out << "file " << f << " doc " << d;
        for (auto w = rng.range(0, rng.below(10) == 0 ? 400 : 30); w > 0; --w) out << ' ' << rng.below(5000);
        out << "\n\n";
      }
    }
    write_synth_corpus(dir / "s.jsonl", 4, 120);
  }
  world.barrier();
  for (const bool chat : {false, true}) {
    SCOPED_TRACE(chat ? "sharegpt" : "text");
    PrepareOptions o;
    o.inputs = chat ? std::vector<std::string>{(dir / "s.jsonl").string()}
                    : std::vector<std::string>{(dir / "t0.txt").string(), (dir / "t1.txt").string(),
                                               (dir / "t2.txt").string()};
    o.corpus.format = chat ? "sharegpt" : "text";
    o.assistant_mask = chat;
    o.shard_tokens = 3000;
    o.val_fraction = 0.2;
    o.test_fraction = 0.05;
    o.data_fraction = 0.9;
    o.seed = 17;
    const std::string tag = chat ? "chat" : "text";
    o.output_dir = dir / ("two_" + tag);
    const PrepareResult two = prepare_dataset(o, hermes::test::stand_in_encoder(), world);
    EXPECT_GT(two.rank_input_bytes, 0u) << "every rank encodes part of the input";
    if (world.is_root()) {
      o.output_dir = dir / ("one_" + tag);
      const PrepareResult one =
          prepare_dataset(o, hermes::test::stand_in_encoder(), hermes::dist::Communicator::self());
      EXPECT_EQ(one.rank_input_bytes, one.input_bytes > 0 ? one.rank_input_bytes : 0u);
      EXPECT_GT(two.splits.at("train").shards, 1u);
      expect_same_dataset(dir / ("two_" + tag), dir / ("one_" + tag));
    }
    world.barrier();
  }
  world.barrier();
  if (world.is_root()) fs::remove_all(dir);
}

TEST(DataPrepareRanks, BadRecordOnOneRankFailsEveryRank) {
  const auto world = hermes::dist::Communicator::world();
  const fs::path dir = shared_dir(world, "bad");
  if (world.is_root()) {
    std::ofstream out(dir / "c.jsonl");
    for (int i = 0; i < 100; ++i)
      out << (i == 90 ? std::string("{broken") : nlohmann::json{{"text", "doc " + std::to_string(i)}}.dump()) << "\n";
  }
  world.barrier();
  PrepareOptions o;
  o.inputs = {(dir / "c.jsonl").string()};
  o.corpus.format = "jsonl";
  o.output_dir = dir / "out";
  o.shard_tokens = 1024;
  std::string message;
  try {
    prepare_dataset(o, hermes::test::stand_in_encoder(), world);
  } catch (const std::exception& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("c.jsonl:91:"), std::string::npos) << "rank " << world.rank() << ": " << message;
  world.barrier();
  if (world.is_root()) fs::remove_all(dir);
}
