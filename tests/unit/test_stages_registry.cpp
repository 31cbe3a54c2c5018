// Every stage a deck may name is registered with a function; an unknown name is refused.
#include <gtest/gtest.h>

#include "hermes/core/error.hpp"
#include "hermes/deck/parser.hpp"
#include "hermes/stages/stage.hpp"

TEST(StageRegistry, MatchesTheDeckStageNames) {
  std::vector<std::string> names;
  for (const auto& s : hermes::stages::registry()) names.push_back(s.name);
  EXPECT_EQ(names, hermes::deck::kStageNames);
}

TEST(StageRegistry, EveryStageRunsAndAnUnknownOneIsNamed) {
  for (const auto& s : hermes::stages::registry()) EXPECT_TRUE(static_cast<bool>(s.run)) << s.name;
  const auto deck = hermes::deck::parse_deck("[run]\nname = \"r\"\nstages = [\"info\"]\n", "deck.toml");
  const auto comm = hermes::dist::Communicator::world();
  hermes::stages::StageContext ctx{deck, comm, {}};
  try {
    hermes::stages::run_stage("pretrian", ctx);
    FAIL() << "an unknown stage ran";
  } catch (const hermes::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("unknown stage 'pretrian'"), std::string::npos) << what;
    EXPECT_NE(what.find("pretrain"), std::string::npos) << what;
  }
}
