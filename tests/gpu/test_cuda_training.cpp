// Training on the CUDA engine against the host engine, through the real Trainer:
//  - both engines start from the same weights (model::init_parameters, bit for bit);
//  - 200 steps of the quickstart model (tiny preset) on learnable synthetic data track the host's
//    loss curve (bf16 arithmetic: within a few percent, window by window);
//  - a checkpoint written by one backend resumes on the other and continues the host's curve;
//  - Muon on the device tracks the host's Muon.
// Skips without a GPU (label gpu).
#include <gtest/gtest.h>

#include <csignal>
#include <cmath>

#include "hermes/core/stop_signal.hpp"

#include "../unit/train_fixture.hpp"
#include "gpu_check.hpp"
#include "hermes/core/error.hpp"
#include "hermes/deck/parser.hpp"
#include "hermes/train/engine.hpp"

namespace {

using namespace hermes;
using hermes::testing::flat_parameters;
using hermes::testing::scratch_dir;

deck::Deck tiny_deck(const std::string& dir, const std::string& backend, std::vector<std::string> extra = {}) {
  extra.insert(extra.begin(), "parallel.backend=\"" + backend + "\"");
  return hermes::testing::deck_in(R"([run]
name = "gpu"
stages = ["pretrain"]
seed = 5
[model]
preset = "tiny"
vocab_size = 256
[train]
batch_size = 8
seq_len = 64
max_steps = 200
log_interval = 50
grad_clip = 1.0
[optim]
lr = 3e-3
warmup_steps = 20
[eval]
interval = 0
batches = 2
test_at_end = false
[checkpoint]
interval = 0
save_final = false
save_best = false
)",
                                  dir, extra);
}

// Mean loss of steps [from, to) of a history.
double window_mean(const std::vector<train::StepRecord>& h, std::size_t from, std::size_t to) {
  double s = 0;
  for (std::size_t i = from; i < to; ++i) s += h[i].loss;
  return s / static_cast<double>(to - from);
}

TEST(CudaTraining, EnginesStartFromTheSameWeights) {
  HERMES_REQUIRE_GPU();
  const auto comm = dist::Communicator::self();
  const auto d = tiny_deck("/tmp/hermes_gpu_unused", "cuda");
  const auto cfg = deck::resolve_model(d.model);
  auto host = train::make_engine(backend::Kind::host, d, comm, cfg, 2, 64);
  auto gpu = train::make_engine(backend::Kind::cuda, d, comm, cfg, 2, 64);
  host->init(9);
  gpu->init(9);
  gpu->pull();
  EXPECT_EQ(host->num_params(), gpu->num_params());
  EXPECT_EQ(train::checksum(host->weights()), train::checksum(gpu->weights()));
  // The round trip through the device's fp32 master copy is exact.
  gpu->push();
  gpu->pull();
  EXPECT_EQ(train::checksum(host->weights()), train::checksum(gpu->weights()));
}

TEST(CudaTraining, FirstStepLossAndGradientNormMatchTheHost) {
  HERMES_REQUIRE_GPU();
  const auto comm = dist::Communicator::self();
  const auto d = tiny_deck("/tmp/hermes_gpu_unused", "cuda");
  const auto cfg = deck::resolve_model(d.model);
  train::SyntheticSource src(cfg.vocab_size, 4, 64, 0, 1, 17);
  data::Batch b;
  src.next(b);
  double loss[2], norm[2];
  std::vector<float> after[2];
  int i = 0;
  for (const auto kind : {backend::Kind::host, backend::Kind::cuda}) {
    auto e = train::make_engine(kind, d, comm, cfg, 4, 64);
    e->init(3);
    e->begin_step();
    e->micro_batch(b, true);
    const auto sums = e->finish_gradients();
    ASSERT_EQ(sums.count, 4 * 64);
    loss[i] = sums.loss_sum / sums.count;
    norm[i] = e->normalise(static_cast<float>(1.0 / sums.count));
    e->update(1.0f, 1, 1.0);
    e->pull();
    for (const auto& w : e->weights()) {
      std::int64_t n = 1;
      for (auto x : w.shape) n *= x;
      after[i].insert(after[i].end(), w.data, w.data + n);
    }
    ++i;
  }
  EXPECT_NEAR(loss[1], loss[0], 0.01 * loss[0]);
  EXPECT_NEAR(norm[1], norm[0], 0.03 * norm[0]);
  // One AdamW step moves each weight by about lr; bf16 gradients may flip the sign of tiny
  // ones, so compare the updated weights by normalised error.
  hermes::testing::gpu::expect_close("weights after one step", after[1], after[0], 5e-2);
}

class CudaCurve : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(Optimizers, CudaCurve, ::testing::Values("adamw", "muon"));

TEST_P(CudaCurve, TwoHundredStepsTrackTheHostLossCurve) {
  HERMES_REQUIRE_GPU();
  const auto comm = dist::Communicator::self();
  const auto dir = scratch_dir("gpu_curve");
  const std::vector<std::string> o = {"optim.name=\"" + GetParam() + "\""};
  auto host = hermes::testing::make_trainer(tiny_deck(dir.string(), "host", o), comm, {});
  auto gpu = hermes::testing::make_trainer(tiny_deck(dir.string(), "cuda", o), comm, {});
  host->run();
  gpu->run();
  const auto& h = host->history();
  const auto& g = gpu->history();
  ASSERT_EQ(h.size(), 200u);
  ASSERT_EQ(g.size(), 200u);
  EXPECT_LT(window_mean(h, 180, 200), window_mean(h, 0, 20) - 1.0) << "the host run did not learn";
  for (std::size_t w = 0; w < 200; w += 20) {
    const double hm = window_mean(h, w, w + 20), gm = window_mean(g, w, w + 20);
    EXPECT_NEAR(gm, hm, 0.03 * hm + 0.02) << "steps " << w + 1 << "-" << w + 20;
  }
  std::filesystem::remove_all(dir);
}

// Trains `first` to step 10 (stopped by SIGUSR1, which writes the checkpoint), resumes on
// `second` to step 20, and compares steps 11-20 with an uninterrupted host run.
void resume_across(const std::string& first, const std::string& second) {
  const auto comm = dist::Communicator::self();
  const auto dir_a = scratch_dir("gpu_ref"), dir_b = scratch_dir("gpu_resume");
  const std::vector<std::string> o = {"train.max_steps=20"};
  auto ref = hermes::testing::make_trainer(tiny_deck(dir_a.string(), "host", o), comm, dir_a);
  ref->run();
  auto a = hermes::testing::make_trainer(tiny_deck(dir_b.string(), first, o), comm, dir_b);
  a->on_step = [](const train::StepRecord& r) {
    if (r.step == 10) std::raise(SIGUSR1);
  };
  try {
    a->run();
    FAIL() << "the signal did not stop the " << first << " run";
  } catch (const CollectiveExit& e) {
    EXPECT_EQ(e.exit_code(), kExitStopped);
  }
  auto o2 = o;
  o2.push_back("run.resume=true");
  auto b = hermes::testing::make_trainer(tiny_deck(dir_b.string(), second, o2), comm, dir_b);
  b->run();
  ASSERT_EQ(b->history().size(), 10u);
  EXPECT_EQ(b->history().front().step, 11);
  for (std::size_t i = 0; i < 10; ++i) {
    const double want = ref->history()[10 + i].loss;
    EXPECT_NEAR(b->history()[i].loss, want, 0.02 * want) << first << " -> " << second << " step " << 11 + i;
  }
  std::filesystem::remove_all(dir_a);
  std::filesystem::remove_all(dir_b);
}

TEST(CudaTraining, HostCheckpointResumesOnTheGpu) {
  HERMES_REQUIRE_GPU();
  resume_across("host", "cuda");
}

TEST(CudaTraining, GpuCheckpointResumesOnTheHost) {
  HERMES_REQUIRE_GPU();
  resume_across("cuda", "host");
}

}  // namespace
