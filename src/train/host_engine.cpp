// The host training engine: model::Transformer<float> (Kokkos + BLAS), optim::Optimizer and the
// bucketed MPI all-reduce (dist::GradSync), training in place in host memory.
#include "hermes/backend/host/blas_kernels.hpp"
#include "hermes/backend/host/common.hpp"
#include "hermes/core/log.hpp"
#include "hermes/dist/grad_sync.hpp"
#include "hermes/model/transformer.hpp"
#include "hermes/optim/optimizer.hpp"
#include "hermes/train/engine.hpp"
#include "hermes/train/trainer.hpp"

namespace hermes::train {

namespace {

// The batch's document starts for attention's document mask, or nullptr (train.document_mask off).
const std::int32_t* doc_starts(const data::Batch& b) { return b.doc_start.empty() ? nullptr : b.doc_start.data(); }

optim::Settings optimizer_settings(const deck::Deck& d) {
  optim::Settings s;
  s.name = d.optim.name;
  s.lr = d.optim.lr;
  s.weight_decay = d.optim.weight_decay;
  s.beta1 = d.optim.beta1;
  s.beta2 = d.optim.beta2;
  s.eps = d.optim.eps;
  s.muon_lr = d.optim.muon_lr;
  s.muon_momentum = d.optim.muon_momentum;
  s.ns_steps = d.optim.ns_steps;
  return s;
}

class HostEngine final : public Engine {
 public:
  HostEngine(const deck::Deck& d, const dist::Communicator& comm, const model::ModelConfig& config, std::int64_t batch,
             std::int64_t seq_len)
      : model_(config, batch, seq_len),
        optim_(model_.slots(), model_.num_params(), optimizer_settings(d)),
        sync_(comm, model_.grads(), model::tensor_begins(model_.slots()), model_.num_params(),
              d.parallel.bucket_mb * 1024.0 * 1024.0) {
    if (d.parallel.zero1)
      log::warn(
          "{}: parallel.zero1 is not implemented on the host backend; every rank keeps the whole optimizer "
          "state",
          d.where("parallel.zero1"));
    peak_ = measure_sgemm_flops();
  }

  std::string describe() const override {
    return fmt::format("host (fp32, Kokkos {}, {})", KOKKOS_VERSION, backend::host::describe_blas());
  }
  std::int64_t num_params() const override { return model_.num_params(); }
  void init(std::uint64_t seed) override { model_.init(seed); }

  void begin_step() override {
    model_.zero_grads();
    sums_ = {};
  }
  void micro_batch(const data::Batch& b, bool last) override {
    const auto st = model_.forward(b.inputs.data(), b.targets.data(), b.mask.data(), true, doc_starts(b));
    sums_.loss_sum += st.loss_sum;
    sums_.correct += static_cast<double>(st.correct);
    sums_.count += static_cast<double>(st.count);
    if (last) {
      sync_.begin();
      model_.backward([this](std::int64_t from) { sync_.ready(from); });
    } else {
      model_.backward();
    }
  }
  LossSums finish_gradients() override {
    sync_.finish();
    return sums_;
  }
  double normalise(float inv_tokens) override {
    optim::scale(model_.grads(), model_.num_params(), inv_tokens);
    return optim::global_norm(model_.grads(), model_.num_params());
  }
  void update(float clip, std::int64_t step, double lr_factor) override {
    if (clip != 1.0f) optim::scale(model_.grads(), model_.num_params(), clip);
    optim_.update(model_.params(), model_.grads(), step, lr_factor);
  }

  LossSums evaluate(const data::Batch& b) override {
    const auto st = model_.forward(b.inputs.data(), b.targets.data(), b.mask.data(), false, doc_starts(b));
    return {st.loss_sum, static_cast<double>(st.correct), static_cast<double>(st.count)};
  }

  std::vector<io::TensorRef> weights() override {
    std::vector<io::TensorRef> out;
    for (const auto& s : model_.slots()) out.push_back({s.spec.name, s.spec.shape, model_.params() + s.offset});
    return out;
  }
  std::vector<io::TensorRef> optimizer_state() override {
    std::vector<io::TensorRef> out;
    for (const auto& t : optim_.state()) out.push_back({t.param + "/" + t.name, {t.numel}, t.data});
    return out;
  }
  void pull_weights() override {}
  void pull() override {}
  void push() override {}

  std::size_t allocated_bytes() const override {
    return static_cast<std::size_t>(model_.num_params()) * 2 * sizeof(float) + optim_.state_bytes() +
           model_.activation_bytes();
  }
  double peak_flops() const override { return peak_; }

 private:
  model::Transformer<float> model_;
  optim::Optimizer optim_;
  dist::GradSync sync_;
  LossSums sums_;
  double peak_ = 0;
};

}  // namespace

std::unique_ptr<Engine> make_host_engine(const deck::Deck& d, const dist::Communicator& comm,
                                         const model::ModelConfig& config, std::int64_t batch, std::int64_t seq_len) {
  return std::make_unique<HostEngine>(d, comm, config, batch, seq_len);
}

}  // namespace hermes::train
