// Deck reading: valid decks, overrides, and every class of bad deck with the message it gets.
#include <gtest/gtest.h>

#include "hermes/core/error.hpp"
#include "hermes/deck/parser.hpp"

using hermes::deck::Deck;
using hermes::deck::parse_deck;

namespace {

const char* kMinimal = R"(
[run]
name = "t"
stages = ["info"]
)";

// Parses and expects a hermes::Error whose message contains every fragment.
void expect_error(const std::string& text, const std::vector<std::string>& fragments,
                  const std::vector<std::string>& overrides = {}) {
  try {
    parse_deck(text, "deck.toml", overrides);
    FAIL() << "expected an error containing '" << fragments.front() << "'";
  } catch (const hermes::Error& e) {
    const std::string message = e.what();
    for (const auto& f : fragments) EXPECT_NE(message.find(f), std::string::npos) << "message: " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "errors are one line: " << message;
  }
}

}  // namespace

TEST(DeckParser, MinimalDeckTakesStructDefaults) {
  const Deck d = parse_deck(kMinimal, "deck.toml");
  const Deck defaults;
  EXPECT_EQ(d.run.name, "t");
  ASSERT_EQ(d.run.stages.size(), 1u);
  EXPECT_EQ(d.run.stages[0], "info");
  EXPECT_EQ(d.train.batch_size, defaults.train.batch_size);
  EXPECT_DOUBLE_EQ(d.optim.lr, defaults.optim.lr);
  EXPECT_EQ(d.model.preset, "tiny");
  EXPECT_FALSE(d.model.n_layer.has_value());
  EXPECT_EQ(d.run_dir(), "runs/t");
  EXPECT_EQ(d.expand("{run_dir}/x.json"), "runs/t/x.json");
}

TEST(DeckParser, ReadsEveryValueType) {
  const Deck d = parse_deck(R"(
[run]
name = "typed"
stages = ["info", "pretrain"]
resume = true
[train]
batch_size = 4
grad_clip = 0.5
[optim]
lr = 1        # an integer is accepted where a float is expected
[model]
preset = "gpt2-small"
n_layer = 2
ffn = "swiglu"
bias = false
[tokenizer]
special_tokens = ["<a>", "<b>"]
)",
                            "deck.toml");
  EXPECT_TRUE(d.run.resuming());
  EXPECT_EQ(d.train.batch_size, 4);
  EXPECT_DOUBLE_EQ(d.train.grad_clip, 0.5);
  EXPECT_DOUBLE_EQ(d.optim.lr, 1.0);
  EXPECT_EQ(d.model.n_layer.value(), 2);
  EXPECT_EQ(d.model.ffn.value(), "swiglu");
  EXPECT_EQ(d.model.bias.value(), false);
  EXPECT_EQ(d.tokenizer.special_tokens, (std::vector<std::string>{"<a>", "<b>"}));
  const auto m = hermes::deck::resolve_model(d.model);
  EXPECT_EQ(m.n_layer, 2);
  EXPECT_EQ(m.n_embd, 768);  // from the preset
  EXPECT_EQ(m.ffn, hermes::model::Ffn::swiglu);
}

TEST(DeckParser, OverridesReplaceAndAddValues) {
  const Deck d = parse_deck(kMinimal, "deck.toml",
                            {"train.batch_size=32", "optim.lr=3e-4", "run.name=bare-string", "run.stages=[\"info\"]",
                             "model.preset=\"nano\"", "data.skip_bad_records=true"});
  EXPECT_EQ(d.train.batch_size, 32);
  EXPECT_DOUBLE_EQ(d.optim.lr, 3e-4);
  EXPECT_EQ(d.run.name, "bare-string");
  EXPECT_EQ(d.model.preset, "nano");
  EXPECT_TRUE(d.data.skip_bad_records);
}

TEST(DeckParser, EffectiveDeckRoundTripsExactly) {
  const Deck d = parse_deck(kMinimal, "deck.toml",
                            {"optim.lr=0.000123456789", "optim.eps=1e-12", "data.doc_separator=\"\\n--\\n\"",
                             "model.n_head=8", "run.name=round"});
  std::string once = hermes::deck::to_toml(d);
  Deck again = parse_deck(once, "effective.toml");
  again.source = d.source;
  EXPECT_EQ(hermes::deck::to_toml(again), once);
  EXPECT_DOUBLE_EQ(again.optim.lr, 0.000123456789);
  EXPECT_DOUBLE_EQ(again.optim.eps, 1e-12);
  EXPECT_EQ(again.data.doc_separator, "\n--\n");
  // The effective deck spells out the model the preset resolves to.
  EXPECT_EQ(again.model.n_layer.value(), 4);
  EXPECT_EQ(again.model.n_head.value(), 8);
  EXPECT_EQ(again.model.n_kv_head.value(), 8);
}

TEST(DeckErrors, UnknownKeyNamesLineColumnAndSuggestion) {
  expect_error(std::string(kMinimal) + "[train]\nbatchsize = 4\n",
               {"deck.toml:6:1", "[train]", "unknown key 'batchsize'", "did you mean 'batch_size'"});
}

TEST(DeckErrors, KeyInTheWrongSectionPointsToItsSection) {
  expect_error(std::string(kMinimal) + "[train]\nlr = 0.1\n", {"deck.toml:6:1", "'lr' belongs in [optim]"});
}

TEST(DeckErrors, UnknownSectionSuggestsTheNearestOne) {
  expect_error(std::string(kMinimal) + "[trian]\nbatch_size = 4\n",
               {"deck.toml:5", "unknown section [trian]", "did you mean [train]"});
}

TEST(DeckErrors, EmptyStagesAndNonFiniteNumbersAreRefused) {
  expect_error("[run]\nname = \"t\"\nstages = []\n", {"deck.toml:3:10", "stages must not be empty"});
  expect_error(std::string(kMinimal) + "[optim]\nlr = nan\n", {"deck.toml:6:6", "lr = nan is not a finite number"});
  expect_error(std::string(kMinimal) + "[optim]\nlr = inf\n", {"lr = inf is not a finite number", "between 0"});
  expect_error(std::string(kMinimal) + "[train]\ngrad_clip = -inf\n", {"grad_clip = -inf is not a finite number"});
  expect_error(kMinimal, {"data.val_fraction=nan", "not a finite number"}, {"data.val_fraction=nan"});
}

TEST(DeckErrors, KeyOutsideAnySection) {
  expect_error("batch_size = 4\n" + std::string(kMinimal), {"deck.toml:1:1", "outside any section", "[train]"});
}

TEST(DeckErrors, WrongTypeSaysWhatWasExpected) {
  expect_error(std::string(kMinimal) + "[train]\nbatch_size = \"16\"\n",
               {"deck.toml:6:14", "batch_size must be an integer", "got a string"});
  expect_error(std::string(kMinimal) + "[optim]\nlr = \"fast\"\n", {"deck.toml:6:6", "lr must be a number"});
  expect_error(std::string(kMinimal) + "resume = 1\n",
               {"deck.toml:5:10", "resume must be true, false or \"auto\", got an integer (1)"});
  expect_error(std::string(kMinimal) + "[data]\ninputs = \"a.txt\"\n", {"inputs must be an array of strings"});
  expect_error(std::string(kMinimal) + "[data]\ninputs = [\"a\", 3]\n", {"deck.toml:6:16", "this element"});
  expect_error("train = 3\n" + std::string(kMinimal), {"deck.toml:1:9", "'train' must be a section [train]"});
}

TEST(DeckErrors, OutOfRangeNamesTheBound) {
  expect_error(std::string(kMinimal) + "[train]\nbatch_size = 0\n",
               {"deck.toml:6:14", "batch_size = 0 is out of range", ">= 1"});
  expect_error(std::string(kMinimal) + "[optim]\nbeta2 = 1.5\n", {"beta2 = 1.5", "between 0"});
}

TEST(DeckErrors, BadChoiceSuggestsTheNearestValue) {
  expect_error(std::string(kMinimal) + "[model]\npreset = \"gpt2-smal\"\n",
               {"deck.toml:6:10", "preset = \"gpt2-smal\"", "did you mean \"gpt2-small\""});
  expect_error("[run]\nname = \"x\"\nstages = [\"pretrian\"]\n", {"deck.toml:3:11", "did you mean \"pretrain\""});
}

TEST(DeckErrors, MissingRequiredKey) {
  expect_error("[run]\nname = \"x\"\n", {"deck.toml:1:1", "missing the required key 'stages'"});
  expect_error("[train]\nbatch_size = 2\n", {"[run] is missing the required key 'name'"});
}

TEST(DeckErrors, SyntaxErrorHasLineAndColumn) {
  expect_error("[run]\nname = \"x\nstages = []\n", {"deck.toml:2:", "TOML syntax error"});
  expect_error(std::string(kMinimal) + "[run]\n", {"deck.toml:5:", "TOML syntax error"});  // table twice
}

TEST(DeckErrors, BadOverrides) {
  expect_error(kMinimal, {"command-line override 'train.batch_size=0'", "out of range"}, {"train.batch_size=0"});
  expect_error(kMinimal, {"not of the form section.key=value"}, {"batch_size=4"});
  expect_error(kMinimal, {"unknown key 'lrr'", "did you mean 'lr'"}, {"optim.lrr=0.1"});
  expect_error(kMinimal, {"unknown section [optm]", "did you mean [optim]"}, {"optm.lr=0.1"});
}

TEST(DeckErrors, CrossKeyChecks) {
  expect_error(std::string(kMinimal) + "[model]\nn_embd = 100\nn_head = 3\n", {"[model]", "not divisible by n_head"});
  expect_error(std::string(kMinimal) + "[model]\nn_head = 4\nn_kv_head = 3\n", {"n_kv_head = 3 must divide"});
  expect_error(std::string(kMinimal) + "[train]\nseq_len = 100000\n",
               {"deck.toml:6:11", "seq_len = 100000 exceeds the model's context_length = 256"});
  expect_error(std::string(kMinimal) + "[tokenizer]\nvocab_size = 260\n",
               {"vocab_size = 260 is smaller than the 256 byte tokens plus 12 special tokens", "at least 268"});
  expect_error("[run]\nname = \"x\"\nstages = [\"prepare\"]\n", {"[data] inputs is empty", "'prepare'"});
  expect_error("[run]\nname = \"x\"\nstages = [\"info\", \"info\"]\n", {"lists 'info' twice"});
  expect_error("[run]\nname = \"a/b\"\nstages = [\"info\"]\n", {"deck.toml:2:8", "name = \"a/b\""});
}

TEST(DeckQuickstart, EmbeddedDeckIsValidAndMatchesTheShippedFile) {
  const Deck d = parse_deck(hermes::deck::embedded_quickstart(), "embedded");
  EXPECT_EQ(d.run.name, "quickstart");
  EXPECT_FALSE(d.run.stages.empty());
  const Deck file = hermes::deck::load_deck_file(std::string(HERMES_SOURCE_DIR) + "/inputs/quickstart.toml");
  // Identical but for the first line, which names the source.
  const auto body = [](const std::string& t) { return t.substr(t.find('\n')); };
  EXPECT_EQ(body(hermes::deck::to_toml(file)), body(hermes::deck::to_toml(d)));
}

TEST(DeckFiles, EveryShippedDeckParses) {
  for (const auto& entry : std::filesystem::directory_iterator(std::string(HERMES_SOURCE_DIR) + "/inputs")) {
    if (entry.path().extension() != ".toml") continue;
    SCOPED_TRACE(entry.path().string());
    EXPECT_NO_THROW(hermes::deck::load_deck_file(entry.path()));
  }
}

TEST(DeckFiles, MissingFileIsAClearError) {
  try {
    hermes::deck::load_deck_file("/nonexistent/deck.toml");
    FAIL();
  } catch (const hermes::Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open deck '/nonexistent/deck.toml': no such file"), std::string::npos);
  }
}
