// The training loop on SyntheticSource: the loss falls, accumulation equals a bigger batch,
// resume after a signal reproduces the uninterrupted losses bit for bit, divergence stops with
// the step named, and checkpoints refuse another model shape.
#include <gtest/gtest.h>

#include <csignal>
#include <cmath>

#include "hermes/core/stop_signal.hpp"

#include "hermes/core/error.hpp"
#include "hermes/model/transformer.hpp"
#include "hermes/train/engine.hpp"
#include "train_fixture.hpp"

using namespace hermes;
using hermes::testing::make_trainer;
using hermes::testing::scratch_dir;
using hermes::testing::train_deck;

TEST(TrainTrainer, LossFallsOnLearnableData) {
  const auto dir = scratch_dir("falls");
  const auto d = train_deck(dir.string(), {"train.max_steps=40", "eval.interval=0"});
  const auto comm = dist::Communicator::self();
  auto t = make_trainer(d, comm, dir);
  const auto sum = t->run();
  ASSERT_EQ(t->history().size(), 40u);
  EXPECT_NEAR(t->history().front().loss, std::log(256.0), 0.3);  // uniform guess at the start
  EXPECT_LT(t->history().back().loss, t->history().front().loss - 1.5);
  ASSERT_TRUE(sum.val.has_value());
  EXPECT_LT(sum.val->loss, std::log(256.0) - 1.5);
  EXPECT_NEAR(sum.val->perplexity, std::exp(sum.val->loss), 1e-9);
  EXPECT_TRUE(std::filesystem::exists(dir / "metrics.csv"));
  std::filesystem::remove_all(dir);
}

TEST(TrainTrainer, GradientAccumulationMatchesTheBiggerBatch) {
  const auto dir = scratch_dir("accum");
  const auto comm = dist::Communicator::self();
  const auto d1 = train_deck(dir.string(), {"train.max_steps=2", "train.batch_size=4", "train.grad_accum=1"});
  const auto d2 = train_deck(dir.string(), {"train.max_steps=2", "train.batch_size=2", "train.grad_accum=2"});
  auto a = make_trainer(d1, comm, {});
  auto b = make_trainer(d2, comm, {});
  a->run();
  b->run();
  for (int i = 0; i < 2; ++i) EXPECT_NEAR(a->history()[i].loss, b->history()[i].loss, 1e-5);
  const auto pa = hermes::testing::flat_parameters(*a), pb = hermes::testing::flat_parameters(*b);
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) ASSERT_NEAR(pa[i], pb[i], 2e-6) << i;
  std::filesystem::remove_all(dir);
}

TEST(TrainTrainer, ResumeAfterSignalReproducesLossesBitForBit) {
  const auto comm = dist::Communicator::self();
  const auto dir_a = scratch_dir("uninterrupted"), dir_b = scratch_dir("interrupted");
  for (const char* opt : {"adamw", "muon"}) {
    SCOPED_TRACE(opt);
    const std::vector<std::string> o = {"train.max_steps=7", "checkpoint.interval=2", "checkpoint.keep_last=2",
                                        std::string("optim.name=\"") + opt + "\"", "train.grad_accum=2"};
    auto a = make_trainer(train_deck(dir_a.string(), o), comm, dir_a);
    a->run();

    const auto db = train_deck(dir_b.string(), o);
    auto b = make_trainer(db, comm, dir_b);
    b->on_step = [](const train::StepRecord& r) {
      if (r.step == 3) std::raise(SIGUSR1);
    };
    try {
      b->run();
      FAIL() << "a signal did not stop the run";
    } catch (const CollectiveExit& e) {
      EXPECT_EQ(e.exit_code(), kExitStopped);
      EXPECT_NE(std::string(e.what()).find("after step 3"), std::string::npos) << e.what();
    }
    // keep_last = 2 of step 2 and step 3.
    EXPECT_TRUE(std::filesystem::exists(dir_b / "ckpt" / "step_00000003.h5"));
    auto o2 = o;
    o2.push_back("run.resume=true");
    const auto dr = train_deck(dir_b.string(), o2);
    auto c = make_trainer(dr, comm, dir_b);
    c->run();
    ASSERT_EQ(c->history().size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(c->history()[i].step, a->history()[3 + i].step);
      EXPECT_EQ(c->history()[i].loss, a->history()[3 + i].loss) << "step " << c->history()[i].step;
      EXPECT_EQ(c->history()[i].grad_norm, a->history()[3 + i].grad_norm);
    }
    EXPECT_EQ(c->parameter_checksum(), a->parameter_checksum());
    std::filesystem::remove_all(dir_a / "ckpt");
    std::filesystem::remove_all(dir_b / "ckpt");
  }
  std::filesystem::remove_all(dir_a);
  std::filesystem::remove_all(dir_b);
}

TEST(TrainTrainer, DivergenceStopsWithTheStepNamedAndKeepsTheLastCheckpoint) {
  const auto dir = scratch_dir("nan");
  const auto comm = dist::Communicator::self();
  auto t = make_trainer(train_deck(dir.string(), {"train.max_steps=6", "checkpoint.interval=2"}), comm, dir);
  t->on_step = [&](const train::StepRecord& r) {
    if (r.step == 3) {
      // The host engine trains in place in these views; push() is the general way back in.
      t->engine().weights()[0].data[5] = std::nanf("");
      t->engine().push();
    }
  };
  try {
    t->run();
    FAIL() << "a NaN parameter did not stop training";
  } catch (const CollectiveExit& e) {
    EXPECT_EQ(e.exit_code(), train::kExitDiverged);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("step 4"), std::string::npos) << msg;
    EXPECT_NE(msg.find("step_00000002.h5"), std::string::npos) << msg;
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "ckpt" / "step_00000002.h5"));
  EXPECT_FALSE(std::filesystem::exists(dir / "ckpt" / "step_00000004.h5"));
  std::filesystem::remove_all(dir);
}

TEST(TrainTrainer, CheckpointRefusesAnotherModelShapeOrTokenizer) {
  const auto dir = scratch_dir("shape");
  const auto comm = dist::Communicator::self();
  auto t = make_trainer(train_deck(dir.string(), {"train.max_steps=2", "checkpoint.save_final=true"}), comm, dir);
  const auto sum = t->run();
  ASSERT_TRUE(std::filesystem::exists(sum.final_checkpoint));
  const auto header = io::read_checkpoint_header(sum.final_checkpoint);
  EXPECT_EQ(header.state.step, 2);
  EXPECT_EQ(header.model.n_embd, 32);
  EXPECT_NE(header.deck_toml.find("n_embd = 32"), std::string::npos);
  EXPECT_EQ(header.tokenizer_json, "{\"model\": \"test tokenizer\"}");
  // A real tokenizer.json is far over HDF5's 64 KiB compact-attribute limit.
  {
    io::CheckpointData big;
    big.model = header.model;
    big.optimizer = "adamw";
    big.tokenizer_json = std::string(300000, 'x');
    big.deck_toml = "[run]";
    io::save_checkpoint(dir / "big.h5", big);
    EXPECT_EQ(io::read_checkpoint_header(dir / "big.h5").tokenizer_json.size(), 300000u);
  }

  auto other = deck::resolve_model(train_deck(dir.string(), {"model.n_embd=64"}).model);
  model::Transformer<float> m(other, 1, 8);
  io::CheckpointData into;
  into.model = other;
  into.optimizer = "adamw";
  try {
    io::load_checkpoint(sum.final_checkpoint, into, false);
    FAIL() << "loaded a checkpoint of another shape";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("n_embd = 32"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("n_embd = 64"), std::string::npos) << e.what();
  }
  into.model = header.model;
  into.tokenizer_fingerprint = "00000000000000bb";
  try {
    io::load_checkpoint(sum.final_checkpoint, into, false);
    FAIL() << "loaded a checkpoint of another tokenizer";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("00000000000000aa"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(TrainTrainer, WarnsWhenTheBatchDoesNotFitInMemory) {
  const auto c = model::preset("gpt2-small");
  const auto est = model::training_memory(c, 8, 1024, model::Precision::fp32, false).total();
  EXPECT_EQ(train::memory_warning(c, 8, 1024, false, est * 1.01, 1), "");
  const auto w = train::memory_warning(c, 8, 1024, false, est * 0.5, 2);
  EXPECT_NE(w.find("train.batch_size = 8"), std::string::npos) << w;
  EXPECT_NE(w.find("train.grad_accum"), std::string::npos) << w;
}

// The document mask is a host-backend feature for now: asking the CUDA engine for it is refused
// with the deck key named, on any build (not silently trained without the mask).
TEST(TrainTrainer, CudaEngineRefusesTheDocumentMask) {
  const auto dir = scratch_dir("docmask");
  const auto d = train_deck(dir.string(), {"train.document_mask=true"});
  const auto m = deck::resolve_model(d.model);
  try {
    train::make_engine(backend::Kind::cuda, d, dist::Communicator::self(), m, 4, 16);
    FAIL() << "the CUDA engine accepted train.document_mask";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("train.document_mask"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

// The ETA follows the current speed: 10 slow steps (1 s) then 100 fast ones (0.1 s) project the
// fast rate, where the average since the start would say 0.18 s a step; time spent between
// steps (an evaluation) is added at its average per step.
TEST(TrainTrainer, RemainingTimeFollowsTheRecentStepRate) {
  train::RemainingTime r(50);
  EXPECT_LT(r.seconds(10), 0) << "nothing timed yet";
  double t = 0;
  for (int i = 0; i < 10; ++i) r.step(1.0, t += 1.0);
  EXPECT_NEAR(r.seconds(100), 100.0, 1e-9);
  for (int i = 0; i < 100; ++i) r.step(0.1, t += 0.1);
  EXPECT_NEAR(r.seconds(100), 10.0, 1e-9);
  r.step(0.1, t += 0.1 + 22.1);  // a 22.1 s evaluation before this step: 0.2 s per step of 111
  EXPECT_NEAR(r.seconds(100), 10.0 + 100 * 22.1 / 111, 1e-9);
}
