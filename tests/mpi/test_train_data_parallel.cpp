// Data parallelism: 2 ranks with batch b take the same steps as 1 rank with batch 2b (within fp
// tolerance: only the summation order differs), and the ranks' parameters stay bit-identical.
#include <gtest/gtest.h>

#include "../unit/train_fixture.hpp"

using namespace hermes;

TEST(TrainDataParallel, TwoRanksMatchOneRankWithTheCombinedBatch) {
  const auto world = dist::Communicator::world();
  ASSERT_EQ(world.size(), 2);
  for (const char* opt : {"adamw", "muon"}) {
    SCOPED_TRACE(opt);
    // Tiny buckets so several all-reduces overlap the backward pass.
    const std::vector<std::string> common = {"train.max_steps=4", std::string("optim.name=\"") + opt + "\"",
                                             "parallel.bucket_mb=0.01", "eval.interval=2"};
    auto o2 = common;
    o2.push_back("train.batch_size=2");
    const auto d2 = hermes::testing::train_deck("/tmp/hermes_dp_unused", o2);
    auto dp = hermes::testing::make_trainer(d2, world, {});
    dp->run();

    auto o1 = common;
    o1.push_back("train.batch_size=4");
    const auto d1 = hermes::testing::train_deck("/tmp/hermes_dp_unused", o1);
    const auto self = dist::Communicator::self();
    auto single = hermes::testing::make_trainer(d1, self, {});
    single->run();

    for (int i = 0; i < 4; ++i) EXPECT_NEAR(dp->history()[i].loss, single->history()[i].loss, 1e-5) << i;
    double worst = 0;
    const auto pd = hermes::testing::flat_parameters(*dp), ps = hermes::testing::flat_parameters(*single);
    ASSERT_EQ(pd.size(), ps.size());
    for (std::size_t i = 0; i < pd.size(); ++i) worst = std::max(worst, static_cast<double>(std::abs(pd[i] - ps[i])));
    EXPECT_LT(worst, 5e-6);
    // Bit-identical replicas.
    std::uint64_t mine = dp->parameter_checksum();
    std::uint64_t root = mine;
    world.broadcast(std::span<std::byte>(reinterpret_cast<std::byte*>(&root), sizeof(root)));
    EXPECT_EQ(mine, root);
  }
}
