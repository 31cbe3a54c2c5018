// Every stage a deck may name is registered; one that is not built yet says so instead of
// silently doing nothing.
#include <gtest/gtest.h>

#include "hermes/core/error.hpp"
#include "hermes/deck/parser.hpp"
#include "hermes/stages/stage.hpp"

TEST(StageRegistry, MatchesTheDeckStageNames) {
  std::vector<std::string> names;
  for (const auto& s : hermes::stages::registry()) names.push_back(s.name);
  EXPECT_EQ(names, hermes::deck::kStageNames);
}

TEST(StageRegistry, UnbuiltStagesFailLoudly) {
  const auto deck = hermes::deck::parse_deck("[run]\nname = \"r\"\nstages = [\"info\"]\n", "deck.toml");
  const auto comm = hermes::dist::Communicator::world();
  hermes::stages::StageContext ctx{deck, comm, {}};
  for (const auto& s : hermes::stages::registry()) {
    if (s.run) continue;
    SCOPED_TRACE(s.name);
    try {
      hermes::stages::run_stage(s.name, ctx);
      FAIL() << "stage " << s.name << " ran without being built";
    } catch (const hermes::Error& e) {
      EXPECT_NE(std::string(e.what()).find("is not built yet"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(hermes::stages::run_stage("no-such-stage", ctx), hermes::Error);
}
