#include "hermes/train/trainer.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

#include "hermes/backend/host/common.hpp"
#include "hermes/backend/select.hpp"
#include "hermes/core/durable.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"
#include "hermes/dist/stop_signal.hpp"
#include "hermes/core/strings.hpp"
#include "hermes/deck/parser.hpp"
#include "hermes/optim/optimizer.hpp"
#include "hermes/train/metrics_log.hpp"
#include "hermes/dist/root_work.hpp"

namespace hermes::train {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

double available_memory_per_rank(int local_ranks) {
  const double pages = static_cast<double>(sysconf(_SC_PHYS_PAGES));
  const double page = static_cast<double>(sysconf(_SC_PAGE_SIZE));
  return pages * page / std::max(1, local_ranks);
}

}  // namespace

void RemainingTime::step(double step_seconds, double elapsed_seconds) {
  if (recent_.size() < window_)
    recent_.push_back(step_seconds);
  else
    recent_[next_] = step_seconds;
  next_ = (next_ + 1) % window_;
  ++steps_;
  all_steps_ += step_seconds;
  elapsed_ = elapsed_seconds;
}

double RemainingTime::seconds(std::int64_t steps_left) const {
  if (recent_.empty()) return -1;
  double recent = 0;
  for (double s : recent_) recent += s;
  const double between = std::max(0.0, elapsed_ - all_steps_) / static_cast<double>(steps_);
  return (recent / static_cast<double>(recent_.size()) + between) * static_cast<double>(steps_left);
}

std::string memory_warning(const model::ModelConfig& config, std::int64_t batch, std::int64_t seq_len, bool muon,
                           double available, int local_ranks) {
  const auto est = model::training_memory(config, batch, seq_len, model::Precision::fp32, muon);
  if (est.total() <= available) return {};
  return fmt::format(
      "train.batch_size = {} x seq_len {} needs about {} per rank (weights, gradients, optimizer "
      "state, activations), more than the {} this node offers each of its {} rank(s); lower "
      "train.batch_size and raise train.grad_accum to keep the effective batch",
      batch, seq_len, format_bytes(static_cast<std::uint64_t>(est.total())),
      format_bytes(static_cast<std::uint64_t>(available)), local_ranks);
}

double measure_sgemm_flops() {
  const std::int64_t n = 512;
  std::vector<float> a(n * n, 0.5f), b(n * n, 0.25f), c(n * n, 0.0f);
  backend::host::gemm<float>(false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
  // The fastest of several short trials: at start-up the other ranks on the node are still
  // allocating and faulting in their arenas, and one slow trial would put MFU above 100%.
  double best = 1e30;
  for (int trial = 0; trial < 8; ++trial) {
    const auto t0 = clock_type::now();
    backend::host::gemm<float>(false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
    best = std::min(best, std::chrono::duration<double>(clock_type::now() - t0).count());
  }
  return 2.0 * static_cast<double>(n * n * n) / std::max(best, 1e-9);
}

Trainer::Trainer(TrainerInputs in)
    : deck_(in.deck),
      comm_(in.comm),
      run_dir_(std::move(in.run_dir)),
      config_(std::move(in.model)),
      train_(std::move(in.train)),
      tokenizer_json_(std::move(in.tokenizer_json)),
      tokenizer_fp_(std::move(in.tokenizer_fingerprint)),
      rng_(static_cast<std::uint64_t>(in.deck.run.seed)) {
  const auto& d = deck_;
  // Opened now, so a split too small for one batch is reported before training, not after it.
  if (in.eval_sources) {
    val_.source = in.eval_sources("val");
    if (d.eval.test_at_end) test_.source = in.eval_sources("test");
    for (EvalSplit* split : {&val_, &test_})
      if (split->source) split->start = split->source->cursor();
  }
  batch_ = d.train.batch_size;
  seq_len_ = d.train.seq_len > 0 ? d.train.seq_len : config_.context_length;
  accum_ = d.train.grad_accum;
  ckpt_dir_ = d.expand(d.checkpoint.dir);
  const auto kind = backend::resolve(d.parallel.backend);
  if (kind == backend::Kind::host) {
    if (d.train.precision == "bf16")
      log::warn("{}: train.precision = \"bf16\" applies to the CUDA backend; the host backend trains in fp32",
                d.where("train.precision"));
    const auto warning = memory_warning(config_, batch_, seq_len_, d.optim.name == "muon",
                                        available_memory_per_rank(comm_.local_size()), comm_.local_size());
    if (!warning.empty()) log::warn("{}", warning);
  } else if (d.train.precision == "fp32") {
    fail(
        "{}: train.precision = \"fp32\" is not offered by the CUDA backend, which trains in bf16 with fp32 master "
        "weights and optimizer state; set it to \"bf16\" or \"auto\", or parallel.backend = \"host\"",
        d.where("train.precision"));
  }
  engine_ = make_engine(kind, d, comm_, config_, batch_, seq_len_);
  engine_->init(static_cast<std::uint64_t>(d.run.seed));
  if (!d.train.init_from.empty() && !d.run.resuming()) init_from(d.expand(d.train.init_from));
  if (d.train.max_steps > 0) {
    total_steps_ = d.train.max_steps;
  } else {
    const double micro = d.train.epochs * static_cast<double>(train_->batches_per_epoch());
    total_steps_ = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(micro / static_cast<double>(accum_))));
  }
}

Trainer::~Trainer() = default;

std::size_t Trainer::allocated_bytes() const { return engine_->allocated_bytes(); }

std::uint64_t Trainer::parameter_checksum() {
  engine_->pull_weights();
  return checksum(engine_->weights());
}

void Trainer::verify_replicas() {
  if (comm_.size() == 1) return;
  std::uint64_t mine = parameter_checksum(), root = mine;
  comm_.broadcast(std::span<std::byte>(reinterpret_cast<std::byte*>(&root), sizeof(root)));
  if (comm_.any(mine != root))
    throw CollectiveExit(fmt::format("step {}: the ranks' parameters differ (checksum {:016x} on rank 0); "
                                     "data-parallel replicas diverged, which is a hermes bug; please report it",
                                     step_, root),
                         kExitDiverged);
}

StepRecord Trainer::train_step() {
  const auto t0 = clock_type::now();
  engine_->begin_step();
  for (std::int64_t micro = 0; micro < accum_; ++micro) {
    train_->next(batch_buf_);
    engine_->micro_batch(batch_buf_, micro + 1 == accum_);
  }
  const LossSums local = engine_->finish_gradients();
  double red[3] = {local.loss_sum, local.correct, local.count};
  comm_.allreduce_sum(std::span<double>(red, 3));
  // Gradients so far are of the summed token losses: divide by the step's global token count.
  const double gnorm = engine_->normalise(red[2] > 0 ? static_cast<float>(1.0 / red[2]) : 0.0f);
  const double loss = red[2] > 0 ? red[0] / red[2] : 0.0;
  if (!std::isfinite(loss) || !std::isfinite(gnorm)) {
    const auto latest = ckpt_dir_ / "latest";
    std::string last = "none (no checkpoint was written yet)";
    if (fs::exists(latest)) {
      std::ifstream f(latest);
      std::getline(f, last);
      last = (ckpt_dir_ / last).string();
    }
    // Diverging on the first step after a resume indicts the checkpoint it resumed from: never
    // call that one "the last good checkpoint".
    std::error_code ec;
    if (!started_from_.empty() && history_.empty() && fs::equivalent(started_from_, last, ec))
      last = fmt::format("none: {} itself diverges at once, resume from an earlier checkpoint or start over",
                         started_from_.string());
    throw CollectiveExit(fmt::format("step {}: training diverged ({} is {}); stopped before the update, "
                                     "last good checkpoint: {}; lower optim.lr or raise optim.warmup_steps and "
                                     "resume with run.resume=true",
                                     step_ + 1, std::isfinite(loss) ? "gradient norm" : "loss",
                                     std::isfinite(loss) ? gnorm : loss, last),
                         kExitDiverged);
  }
  const float clip = deck_.train.grad_clip > 0 && gnorm > deck_.train.grad_clip
                         ? static_cast<float>(deck_.train.grad_clip / gnorm)
                         : 1.0f;
  const optim::LrSchedule schedule{optim::schedule_named(deck_.optim.schedule), deck_.optim.warmup_steps,
                                   deck_.optim.min_lr_ratio, deck_.optim.decay_fraction};
  const double lrf = schedule.factor(step_, total_steps_);
  engine_->update(clip, step_ + 1, lrf);
  ++step_;
  const std::int64_t tokens = batch_ * seq_len_ * accum_ * comm_.size();
  tokens_seen_ += tokens;
  const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  StepRecord r;
  r.step = step_;
  r.loss = loss;
  r.accuracy = red[2] > 0 ? red[1] / red[2] : 0.0;
  r.lr = deck_.optim.lr * lrf;
  r.grad_norm = gnorm;
  r.tokens_per_s = static_cast<double>(tokens) / std::max(secs, 1e-9);
  return r;
}

namespace {
// Loss, accuracy and perplexity over at most one pass of `source`, summed over the ranks.
template <class Forward>
EvalResult evaluate_with(Forward&& forward, BatchSource& source, std::int64_t batches, const dist::Communicator& comm) {
  double red[3] = {0, 0, 0};
  data::Batch b;
  // At most one pass over the split: a small test split must not be counted twice.
  const std::int64_t per_epoch = source.batches_per_epoch();
  if (per_epoch > 0) batches = std::min(batches, per_epoch);
  for (std::int64_t i = 0; i < batches; ++i) {
    source.next(b);
    const LossSums st = forward(b);
    red[0] += st.loss_sum;
    red[1] += st.correct;
    red[2] += st.count;
  }
  comm.allreduce_sum(std::span<double>(red, 3));
  EvalResult r;
  r.tokens = static_cast<std::int64_t>(red[2]);
  r.loss = red[2] > 0 ? red[0] / red[2] : 0.0;
  r.accuracy = red[2] > 0 ? red[1] / red[2] : 0.0;
  r.perplexity = std::exp(r.loss);
  return r;
}
}  // namespace

EvalResult evaluate(Engine& engine, BatchSource& source, std::int64_t batches, const dist::Communicator& comm) {
  return evaluate_with([&](const data::Batch& b) { return engine.evaluate(b); }, source, batches, comm);
}

std::optional<EvalResult> Trainer::evaluate_split(EvalSplit& split) {
  if (!split.source) return std::nullopt;
  split.source->restore(split.start);
  return evaluate(*split.source, deck_.eval.batches);
}

void Trainer::save_if_best(const EvalResult& val) {
  if (!deck_.checkpoint.save_best || (best_val_ != 0 && val.loss >= best_val_)) return;
  best_val_ = val.loss;
  save(ckpt_dir_ / "best.h5");
}

EvalResult Trainer::evaluate(BatchSource& source, std::int64_t batches) {
  return train::evaluate(*engine_, source, batches, comm_);
}

io::CheckpointData Trainer::checkpoint_data() {
  io::CheckpointData d;
  d.model = config_;
  d.optimizer = deck_.optim.name;
  d.deck_toml = deck::to_toml(deck_);
  d.tokenizer_json = tokenizer_json_;
  d.tokenizer_fingerprint = tokenizer_fp_;
  d.state.step = step_;
  d.state.tokens_seen = tokens_seen_;
  d.state.cursor = train_->cursor();
  d.state.best_val_loss = best_val_;
  std::ostringstream rs;
  rs << rng_;
  d.state.rng = rs.str();
  d.weights = engine_->weights();
  d.optim = engine_->optimizer_state();
  return d;
}

void Trainer::save(const fs::path& path) {
  engine_->pull();
  if (comm_.is_root()) {
    io::save_checkpoint(path, checkpoint_data());
    // `latest` follows the run (periodic, interrupt, final checkpoints), never best.h5.
    // Written durably and checked: a `latest` lost to a full disk is an error, not an empty file.
    if (path.filename() != "best.h5") write_file_durably(ckpt_dir_ / "latest", path.filename().string() + "\n");
  }
  comm_.barrier();
}

void Trainer::save_periodic() {
  save(ckpt_dir_ / fmt::format("step_{:08d}.h5", step_));
  if (!comm_.is_root()) return;
  std::vector<fs::path> periodic;
  for (const auto& e : fs::directory_iterator(ckpt_dir_)) {
    const auto name = e.path().filename().string();
    if (name.rfind("step_", 0) == 0 && e.path().extension() == ".h5") periodic.push_back(e.path());
  }
  std::sort(periodic.begin(), periodic.end());
  const auto keep = static_cast<std::size_t>(deck_.checkpoint.keep_last);
  for (std::size_t i = 0; i + keep < periodic.size(); ++i) fs::remove(periodic[i]);
}

void Trainer::init_from(const fs::path& path) {
  auto d = checkpoint_data();
  dist::on_root_collectively(comm_, [&] {
    if (!fs::is_regular_file(path))
      fail("{}: checkpoint {} does not exist; point train.init_from at a .h5 from pretrain or `hermes import`",
           deck_.where("train.init_from"), path.string());
    io::check_checkpoint(path, d, false);
  });
  io::load_checkpoint(path, d, false);
  engine_->push();
  log::info("weights from {} (step {} of the run that wrote it); optimizer state and step count start fresh",
            path.string(), d.state.step);
}

bool Trainer::resume() {
  const auto latest = ckpt_dir_ / "latest";
  auto d = checkpoint_data();
  // Rank 0 picks the checkpoint (every rank would find the same damage) and tells the others.
  std::string chosen;
  dist::on_root_collectively(comm_, [&] {
    std::string named;
    if (fs::exists(latest)) std::getline(std::ifstream(latest), named);
    // Candidates: the one `latest` names, then every other checkpoint, newest step first.
    // Leftover .tmp files (an interrupted write) are never candidates.
    std::vector<std::pair<std::int64_t, fs::path>> others;
    if (fs::is_directory(ckpt_dir_))
      for (const auto& e : fs::directory_iterator(ckpt_dir_)) {
        if (!e.is_regular_file() || e.path().extension() != ".h5" || e.path().filename() == named) continue;
        others.emplace_back(io::checkpoint_step_or(e.path(), -1), e.path());
      }
    std::sort(others.begin(), others.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<fs::path> order;
    // `latest` names a file of this folder; anything else (a path, a name no file system holds)
    // is damage, and the other checkpoints are tried.
    const bool plain_name =
        named.size() <= 255 && named.find('/') == std::string::npos && named != "." && named != "..";
    if (!named.empty() && plain_name) order.push_back(ckpt_dir_ / named);
    for (const auto& o : others) order.push_back(o.second);
    // A run stopped before its first checkpoint (a signal during start-up, a requeue in the
    // first minutes) resumes from the beginning: its run directory exists, nothing was trained.
    if (order.empty()) {
      log::warn("resume: {} holds no checkpoint yet (the run stopped before writing one); starting from step 0",
                ckpt_dir_.string());
      return;
    }
    std::string refused;
    for (const auto& path : order) {
      std::string why;
      if (io::try_load_checkpoint(path, d, true, why)) {
        chosen = path.string();
        break;
      }
      log::warn("resume: {} {}", path.string(), why);
      refused += (refused.empty() ? "" : "; ") + path.filename().string() + " " + why;
    }
    if (chosen.empty())
      fail("run.resume: no readable checkpoint in {} ({}); start without run.resume or restore a checkpoint",
           ckpt_dir_.string(), refused);
    const std::string reason = named.empty()
                                   ? fmt::format("{} is {}", latest.string(), fs::exists(latest) ? "empty" : "missing")
                                   : fmt::format("{} names {}, which cannot be used", latest.string(), named);
    if (fs::path(chosen).filename() != named)
      log::warn("resume: {}; resuming from the newest readable checkpoint, {}", reason, chosen);
  });
  comm_.broadcast(chosen);
  if (chosen.empty()) return false;
  // Rank 0 loaded it already while checking it could be read.
  if (!comm_.is_root()) io::load_checkpoint(chosen, d, true);
  engine_->push();
  step_ = d.state.step;
  tokens_seen_ = d.state.tokens_seen;
  best_val_ = d.state.best_val_loss;
  train_->restore(d.state.cursor);
  std::istringstream rs(d.state.rng);
  rs >> rng_;
  started_from_ = chosen;
  log::info("resumed from {} at step {}", chosen, step_);
  return true;
}

Summary Trainer::run() {
  const auto& d = deck_;
  const std::int64_t per_step = batch_ * accum_ * comm_.size();
  log::info("backend {}", engine_->describe());
  log::info("model {}: {} parameters ({} layers, width {}, {} heads / {} kv heads, {}) | optimizer {}", config_.preset,
            engine_->num_params(), config_.n_layer, config_.n_embd, config_.n_head, config_.n_kv_head,
            model::to_string(config_.ffn), d.optim.name);
  log::info("effective batch {} x {} x {} ranks = {} sequences = {} tokens per step | {} steps | memory {} per rank",
            batch_, accum_, comm_.size(), per_step, per_step * seq_len_, total_steps_,
            format_bytes(static_cast<std::uint64_t>(allocated_bytes())));
  // A short run (one epoch of a small corpus) can end inside the warmup: say so, it barely trains.
  if (d.optim.warmup_steps >= total_steps_ && total_steps_ > 0)
    log::warn(
        "{}: optim.warmup_steps = {} is not shorter than the run's {} steps, so the learning rate peaks at "
        "{:.0f}% of optim.lr; lower optim.warmup_steps (about a tenth of the steps) or train longer "
        "(train.max_steps, train.epochs)",
        d.where("optim.warmup_steps"), d.optim.warmup_steps, total_steps_,
        100.0 * static_cast<double>(total_steps_) / static_cast<double>(d.optim.warmup_steps));
  // A run stopped before its first checkpoint starts again from where it started: init_from's
  // weights when it fine-tunes.
  if (d.run.resuming() && !resume() && !d.train.init_from.empty()) init_from(d.expand(d.train.init_from));
  const bool root = comm_.is_root();
  // Rows past the resumed step were written by the attempt that stopped; the steps replay.
  MetricsLog metrics = root && !run_dir_.empty() ? MetricsLog(run_dir_, d.run.resuming(), step_) : MetricsLog();
  StopSignalGuard signals;
  const double flops_per_token = model::training_flops_per_token(config_, seq_len_);
  const auto start = clock_type::now();
  const std::int64_t first_step = step_;
  // A signal that came before the first step (during start-up or a resume) stops the run with
  // nothing new to save: the checkpoint it resumed from, if any, is still the latest.
  if (const int sig = dist::agreed_stop_signal(comm_); sig != 0 && step_ < total_steps_)
    throw CollectiveExit(fmt::format("stopped by {} before step {}: nothing new to save; resume with run.resume=true "
                                     "(exit code {})",
                                     stop_signal_name(sig), step_ + 1, kExitStopped),
                         kExitStopped);
  RemainingTime remaining;
  while (step_ < total_steps_) {
    const auto step_start = clock_type::now();
    auto rec = train_step();
    history_.push_back(rec);
    const auto step_end = clock_type::now();
    const double elapsed = std::chrono::duration<double>(step_end - start).count();
    remaining.step(std::chrono::duration<double>(step_end - step_start).count(), elapsed);
    const double avg = elapsed / static_cast<double>(step_ - first_step);
    const double tok_s = static_cast<double>(per_step * seq_len_) / avg;
    if (step_ == first_step + 1 || step_ % d.train.log_interval == 0 || step_ == total_steps_) {
      const double peak = engine_->peak_flops() * comm_.size();
      const double mfu = peak > 0 ? flops_per_token * tok_s / peak : 0.0;
      log::info(
          "step {:>6}/{} | loss {:.4f} | acc {:5.1f}% | ppl {:9.2f} | lr {:.2e} | gnorm {:6.3f} | {} tok/s | "
          "MFU {:4.1f}% | ETA {}",
          step_, total_steps_, rec.loss, 100.0 * rec.accuracy, std::exp(rec.loss), rec.lr, rec.grad_norm,
          format_rate(tok_s), 100.0 * mfu, format_duration(remaining.seconds(total_steps_ - step_)));
    }
    std::optional<EvalResult> val;
    if (d.eval.interval > 0 && step_ % d.eval.interval == 0 && step_ < total_steps_) {
      val = evaluate_split(val_);
      verify_replicas();
      if (val) {
        log::info("eval step {} | val loss {:.4f} | acc {:5.1f}% | ppl {:.2f}", step_, val->loss, 100.0 * val->accuracy,
                  val->perplexity);
        save_if_best(*val);
      }
    }
    metrics.step(rec, val ? &*val : nullptr);
    if (d.checkpoint.interval > 0 && step_ % d.checkpoint.interval == 0 && step_ < total_steps_) save_periodic();
    if (on_step) on_step(rec);
    // Every rank stops at the same step.
    if (const int sig = dist::agreed_stop_signal(comm_); sig != 0) {
      save_periodic();
      throw CollectiveExit(fmt::format("stopped by {} after step {}: checkpoint {} written; resume with "
                                       "run.resume=true (exit code {})",
                                       stop_signal_name(sig), step_,
                                       (ckpt_dir_ / fmt::format("step_{:08d}.h5", step_)).string(), kExitStopped),
                           kExitStopped);
    }
  }
  Summary sum;
  sum.steps = step_;
  verify_replicas();
  // The final checkpoint first: nothing after training may lose it.
  if (d.checkpoint.save_final) {
    sum.final_checkpoint = ckpt_dir_ / "final.h5";
    save(sum.final_checkpoint);
  }
  sum.val = evaluate_split(val_);
  sum.test = evaluate_split(test_);
  if (sum.val) metrics.final_eval(step_, "val", *sum.val);
  if (sum.test) metrics.final_eval(step_, "test", *sum.test);
  if (sum.val) save_if_best(*sum.val);
  log::info("training done: {} steps, {} tokens in {}", step_, tokens_seen_,
            format_duration(std::chrono::duration<double>(clock_type::now() - start).count()));
  if (sum.val)
    log::info("final validation: loss {:.4f} | accuracy {:.2f}% | perplexity {:.2f}", sum.val->loss,
              100.0 * sum.val->accuracy, sum.val->perplexity);
  if (sum.test)
    log::info("final test:       loss {:.4f} | accuracy {:.2f}% | perplexity {:.2f}", sum.test->loss,
              100.0 * sum.test->accuracy, sum.test->perplexity);
  if (!sum.final_checkpoint.empty()) log::info("final checkpoint {}", sum.final_checkpoint.string());
  return sum;
}

}  // namespace hermes::train
