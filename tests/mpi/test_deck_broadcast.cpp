// Under mpiexec -n 2: every rank ends with the identical deck, and a deck error reaches every rank.
#include <gtest/gtest.h>

#include <fstream>

#include "hermes/core/error.hpp"
#include "hermes/deck/parser.hpp"
#include "hermes/dist/communicator.hpp"
#include "hermes/dist/root_work.hpp"

namespace {
std::string write_deck(const hermes::dist::Communicator& comm, const std::string& text, const std::string& name) {
  // Only rank 0 reads the deck, so only rank 0 needs the file: proving the others get it by MPI.
  const std::string path = std::string("/tmp/hermes_mpi_test_") + std::to_string(::getpid()) + "_" + name;
  if (comm.is_root()) std::ofstream(path) << text;
  return path;
}
}  // namespace

TEST(DeckBroadcast, EveryRankHoldsTheIdenticalDeck) {
  const auto comm = hermes::dist::Communicator::world();
  ASSERT_GE(comm.size(), 2) << "run under mpiexec -n 2";
  const std::string path =
      write_deck(comm, "[run]\nname = \"b\"\nstages = [\"info\"]\n[optim]\nlr = 0.000321\n", "ok.toml");
  const auto d = hermes::deck::load_deck_collective(comm, path, {"train.batch_size=3", "model.preset=nano"});
  EXPECT_EQ(d.train.batch_size, 3);
  EXPECT_DOUBLE_EQ(d.optim.lr, 0.000321);
  EXPECT_EQ(d.model.preset, "nano");
  std::string root_path = path;  // each rank names its own (absent) file; rank 0's is the one read
  comm.broadcast(root_path);
  EXPECT_EQ(d.source, root_path);
  std::string mine = hermes::deck::to_toml(d);
  std::string root = mine;
  comm.broadcast(root);
  EXPECT_EQ(mine, root) << "rank " << comm.rank() << " holds a different deck";
}

TEST(DeckBroadcast, ADeckErrorIsRaisedOnEveryRank) {
  const auto comm = hermes::dist::Communicator::world();
  const std::string path =
      write_deck(comm, "[run]\nname = \"b\"\nstages = [\"info\"]\n[train]\nbatchsize = 2\n", "bad.toml");
  try {
    hermes::deck::load_deck_collective(comm, path, {});
    FAIL() << "rank " << comm.rank() << " did not raise";
  } catch (const hermes::CollectiveError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown key 'batchsize'"), std::string::npos);
  }
}

TEST(DeckBroadcast, RootOnlyChecksBecomeCollectiveErrors) {
  const auto comm = hermes::dist::Communicator::world();
  EXPECT_THROW(hermes::dist::on_root_collectively(comm, [] { throw hermes::Error("only rank 0 saw this"); }),
               hermes::CollectiveError);
  EXPECT_NO_THROW(hermes::dist::on_root_collectively(comm, [] {}));
}
