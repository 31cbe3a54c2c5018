// hermes's side of the GPU speed comparison with benchmarks/compare/torch_reference.py: the same
// model (a preset), random tokens, full training steps (forward, backward, gradient clipping,
// AdamW) on one GPU, optionally replayed as one CUDA graph. Prints one JSON line: tokens/s, step
// time and its breakdown, MFU (PaLM formula against 989 TFLOP/s), device memory against the
// `hermes info` estimate. Then the same steps through the training engine that `hermes run`
// uses (train::Engine: pinned batch staging, the host reads of loss and gradient norm, the
// update's scalars): engine_step_ms / engine_tokens_per_s / engine_mfu, the number a user sees.
//   hermes_cuda_bench --model gpt2-small --batch 16 --seq 1024 --steps 30 --graph
#include <CLI/CLI.hpp>
#include <mpi.h>
#include <nlohmann/json.hpp>

#include <chrono>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <random>

#include "hermes/backend/cuda/model.hpp"
#include "hermes/backend/cuda/graph.hpp"
#include "hermes/backend/cuda/optimizer.cuh"
#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"
#include "hermes/model/config.hpp"
#include "hermes/model/transformer.hpp"
#include "hermes/train/engine.hpp"

namespace cu = hermes::backend::cuda;
namespace m = hermes::model;

int main(int argc, char** argv) {
  CLI::App app{"hermes CUDA training-step benchmark"};
  std::string preset = "gpt2-small";
  std::int64_t batch = 16, seq = 0, steps = 30, warmup = 5, vocab = 0;
  bool graph = false;
  app.add_option("--model", preset, "model preset");
  app.add_option("--batch", batch, "micro-batch");
  app.add_option("--seq", seq, "sequence length (0: the preset's context)");
  app.add_option("--steps", steps, "timed steps");
  app.add_option("--warmup", warmup, "untimed steps first");
  app.add_option("--vocab", vocab, "vocabulary (0: the preset's usual one)");
  app.add_flag("--graph", graph, "replay each step as one captured CUDA graph");
  CLI11_PARSE(app, argc, argv);
  MPI_Init(&argc, &argv);  // the engine's communicator (one rank)
  struct Finalize {
    ~Finalize() { MPI_Finalize(); }
  } finalize;
  try {
    hermes::log::init(0, 1);
    m::ModelConfig cfg = m::preset(preset);
    cfg.vocab_size = vocab > 0 ? vocab : m::preset_reference_vocab(preset);
    if (seq == 0) seq = cfg.context_length;
    if (cu::device_count() == 0) hermes::fail("no CUDA GPU visible: this benchmark needs one");
    cu::Context ctx(0);
    auto model_owner = std::make_unique<cu::Model>(cfg, batch, seq, ctx);  // freed before the engine's
    cu::Model& model = *model_owner;
    const std::int64_t N = batch * seq, P = model.num_params();

    // GPT-2 initialisation, as every engine does it, on the host once.
    const auto layout = m::contiguous_slots(cfg);
    std::vector<float> host(static_cast<std::size_t>(m::contiguous_size(layout)));
    m::init_parameters(cfg, layout, 1, host.data());
    model.load(host.data());

    // AdamW over the whole arena in one launch; state arenas compact in slot order.
    std::vector<cu::OptimSegment> segs;
    std::int64_t state = 0;
    for (const auto& s : model.slots()) {
      segs.push_back({s.offset, s.offset + s.spec.numel(), state, s.spec.decays});
      state += s.spec.numel();
    }
    const auto blocks = cu::plan_segment_blocks(segs, cu::kAdamBlockElems);
    cu::SegmentBlock* d_blocks;
    float *d_m, *d_v;
    double *partials, *norm2;
    float* gnorm;
    cu::OptimScalars* d_sc;
    cu::OptimScalars* h_sc;
    std::int32_t *d_in, *d_tgt;
    HERMES_CUDA_CHECK(cudaMalloc(&d_blocks, blocks.size() * sizeof(cu::SegmentBlock)));
    HERMES_CUDA_CHECK(
        cudaMemcpy(d_blocks, blocks.data(), blocks.size() * sizeof(cu::SegmentBlock), cudaMemcpyHostToDevice));
    HERMES_CUDA_CHECK(cudaMalloc(&d_m, state * 4));
    HERMES_CUDA_CHECK(cudaMalloc(&d_v, state * 4));
    HERMES_CUDA_CHECK(cudaMemset(d_m, 0, state * 4));
    HERMES_CUDA_CHECK(cudaMemset(d_v, 0, state * 4));
    HERMES_CUDA_CHECK(cudaMalloc(&partials, cu::kReduceBlocks * 8));
    HERMES_CUDA_CHECK(cudaMalloc(&norm2, 8));
    HERMES_CUDA_CHECK(cudaMalloc(&gnorm, 4));
    HERMES_CUDA_CHECK(cudaMalloc(&d_sc, sizeof(cu::OptimScalars)));
    HERMES_CUDA_CHECK(cudaMallocHost(&h_sc, sizeof(cu::OptimScalars)));
    *h_sc = cu::OptimScalars{};  // pinned memory starts uninitialised: beta1, beta2, eps need their defaults
    HERMES_CUDA_CHECK(cudaMalloc(&d_in, N * 4));
    HERMES_CUDA_CHECK(cudaMalloc(&d_tgt, N * 4));
    {
      std::vector<std::int32_t> t(2 * N);
      std::mt19937_64 rng(2);
      for (auto& x : t) x = static_cast<std::int32_t>(rng() % cfg.vocab_size);
      HERMES_CUDA_CHECK(cudaMemcpy(d_in, t.data(), N * 4, cudaMemcpyHostToDevice));
      HERMES_CUDA_CHECK(cudaMemcpy(d_tgt, t.data() + N, N * 4, cudaMemcpyHostToDevice));
    }
    // The set-up above ran on the legacy default stream (cudaMemset is asynchronous), which the
    // context's non-blocking stream does not wait for.
    HERMES_CUDA_CHECK(cudaDeviceSynchronize());
    const cudaStream_t s = ctx.stream();
    auto set_scalars = [&](std::int64_t step) {
      h_sc->lr = 3e-4f;
      h_sc->weight_decay = 0.1f;
      h_sc->bias_c1 = static_cast<float>(1.0 - std::pow(0.9, static_cast<double>(step)));
      h_sc->bias_c2 = static_cast<float>(1.0 - std::pow(0.95, static_cast<double>(step)));
      h_sc->grad_scale = 1.0f / static_cast<float>(N);
    };
    auto step_body = [&] {
      HERMES_CUDA_CHECK(cudaMemcpyAsync(d_sc, h_sc, sizeof(cu::OptimScalars), cudaMemcpyHostToDevice, s));
      model.zero_grads();
      model.forward_backward(d_in, d_tgt, nullptr, 1.0f);
      cu::sum_squares(norm2, model.grads(), P, partials, s);
      cu::finalize_grad_scale(d_sc, norm2, 1.0f, gnorm, s);
      cu::adamw_update(model.master(), model.weights(), model.grads(), d_m, d_v, d_blocks,
                       static_cast<std::int64_t>(blocks.size()), d_sc, s);
    };
    std::int64_t step = 0;
    for (; step < warmup; ++step) {
      set_scalars(step + 1);
      step_body();
    }
    HERMES_CUDA_CHECK(cudaStreamSynchronize(s));
    cu::Graph g;
    if (graph) g.capture(s, step_body);
    cudaEvent_t e0, e1;
    HERMES_CUDA_CHECK(cudaEventCreate(&e0));
    HERMES_CUDA_CHECK(cudaEventCreate(&e1));
    HERMES_CUDA_CHECK(cudaEventRecord(e0, s));
    for (std::int64_t i = 0; i < steps; ++i, ++step) {
      HERMES_CUDA_CHECK(cudaStreamSynchronize(s));  // h_sc is read by the step's copy
      set_scalars(step + 1);
      if (graph)
        g.launch(s);
      else
        step_body();
    }
    HERMES_CUDA_CHECK(cudaEventRecord(e1, s));
    HERMES_CUDA_CHECK(cudaEventSynchronize(e1));
    float ms = 0;
    HERMES_CUDA_CHECK(cudaEventElapsedTime(&ms, e0, e1));
    const double step_ms = ms / static_cast<double>(steps);

    // Breakdown (eager, one step): forward only, forward+backward, optimizer.
    auto time_it = [&](auto&& f) {
      HERMES_CUDA_CHECK(cudaEventRecord(e0, s));
      f();
      HERMES_CUDA_CHECK(cudaEventRecord(e1, s));
      HERMES_CUDA_CHECK(cudaEventSynchronize(e1));
      float t = 0;
      HERMES_CUDA_CHECK(cudaEventElapsedTime(&t, e0, e1));
      return static_cast<double>(t);
    };
    // The totals so far sum every warm-up and timed step; the two passes below see the same
    // weights and batch, so their mean is the loss after the last update.
    model.clear_totals();
    const double fwd_ms = time_it([&] { model.forward(d_in, d_tgt, nullptr); });
    const double fb_ms = time_it([&] { model.forward_backward(d_in, d_tgt, nullptr, 1.0f); });
    const double opt_ms = time_it([&] {
      cu::sum_squares(norm2, model.grads(), P, partials, s);
      cu::finalize_grad_scale(d_sc, norm2, 1.0f, gnorm, s);
      cu::adamw_update(model.master(), model.weights(), model.grads(), d_m, d_v, d_blocks,
                       static_cast<std::int64_t>(blocks.size()), d_sc, s);
    });
    double totals[3];
    HERMES_CUDA_CHECK(cudaMemcpyAsync(totals, model.totals(), sizeof(totals), cudaMemcpyDeviceToHost, s));
    HERMES_CUDA_CHECK(cudaStreamSynchronize(s));
    std::size_t free_b = 0, total_b = 0;
    HERMES_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
    cudaDeviceProp prop{};
    HERMES_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
    const double tok_s = static_cast<double>(N) / (step_ms * 1e-3);
    const std::size_t model_bytes = model.device_bytes();
    const auto attention = model.attention();

    // The training engine's step, as the trainer drives it (its own model; this one is freed
    // first so both fit).
    double engine_step_ms = 0;
    std::string engine_desc;
    {
      model_owner.reset();
      HERMES_CUDA_CHECK(cudaFree(d_m));
      HERMES_CUDA_CHECK(cudaFree(d_v));
      d_m = d_v = nullptr;
      hermes::deck::Deck d;
      d.optim.lr = 3e-4;
      d.optim.weight_decay = 0.1;
      d.train.grad_clip = 1.0;
      d.parallel.cuda_graphs = graph;
      const auto comm = hermes::dist::Communicator::self();
      auto engine = hermes::train::make_cuda_engine(d, comm, cfg, batch, seq);
      engine->init(1);
      engine_desc = engine->describe();
      hermes::data::Batch b;
      b.batch = batch;
      b.seq_len = seq;
      b.inputs.resize(N);
      b.targets.resize(N);
      b.mask.assign(N, 1);
      std::mt19937_64 rng(3);
      for (std::int64_t i = 0; i < N; ++i) {
        b.inputs[i] = static_cast<std::int32_t>(rng() % cfg.vocab_size);
        b.targets[i] = static_cast<std::int32_t>(rng() % cfg.vocab_size);
      }
      auto one_step = [&](std::int64_t k) {
        engine->begin_step();
        engine->micro_batch(b, true);
        const auto sums = engine->finish_gradients();
        const double norm = engine->normalise(static_cast<float>(1.0 / sums.count));
        engine->update(norm > 1.0 ? static_cast<float>(1.0 / norm) : 1.0f, k, 1.0);
      };
      for (std::int64_t k = 1; k <= warmup; ++k) one_step(k);
      const auto t0 = std::chrono::steady_clock::now();
      for (std::int64_t k = 1; k <= steps; ++k) one_step(warmup + k);
      engine->finish_gradients();  // drains the stream
      engine_step_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / steps;
    }
    const double engine_tok_s = static_cast<double>(N) / (engine_step_ms * 1e-3);
    const double fpt = m::training_flops_per_token(cfg, seq);
    const auto est = m::training_memory(cfg, batch, seq, m::Precision::bf16);
    nlohmann::json j{{"impl", "hermes-cuda"},
                     {"device", prop.name},
                     {"model", preset},
                     {"params", m::parameter_count(cfg)},
                     {"batch", batch},
                     {"seq", seq},
                     {"graph", graph},
                     {"attention", cu::to_string(attention)},
                     {"step_ms", step_ms},
                     {"forward_ms", fwd_ms},
                     {"forward_backward_ms", fb_ms},
                     {"optimizer_ms", opt_ms},
                     {"tokens_per_s", tok_s},
                     {"mfu", tok_s * fpt / 989e12},
                     {"last_loss_mean", totals[2] > 0 ? totals[0] / totals[2] : 0.0},
                     {"device_used_gib", static_cast<double>(total_b - free_b) / (1 << 30)},
                     {"model_arena_gib", static_cast<double>(model_bytes + 2 * state * 4) / (1 << 30)},
                     {"engine", engine_desc},
                     {"engine_step_ms", engine_step_ms},
                     {"engine_tokens_per_s", engine_tok_s},
                     {"engine_mfu", engine_tok_s * fpt / 989e12},
                     {"info_estimate_gib", est.total() / (1 << 30)}};
    std::cout << j.dump() << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hermes_cuda_bench: %s\n", e.what());
    return 1;
  }
}
