// The CUDA training engine (engine.hpp): backend::cuda::Model (bf16 weights and activations, fp32
// master weights and gradients), the optimizer on the device (AdamW in one launch over the
// arena's block table, Muon's Newton-Schulz per hidden matrix), NCCL bucketed all-reduce
// overlapping backward, and CUDA graphs for the micro-batches and the update once the first
// eager step has fixed every cuBLASLt plan.
// Host work per step: copy each micro-batch into pinned staging (double-buffered, so the copy of
// the next batch overlaps the previous one's compute), one sync to read the loss sums and the
// gradient norm (the trainer logs them and stops before the update when they are not finite),
// and the optimizer's step scalars copied in before the update graph.
// ZeRO-1 (parallel.zero1, AdamW, more than one rank): the arenas are padded to world x 16
// elements and cut into equal shards; the last micro-batch reduce-scatters the gradients (each
// rank receives the sum of its shard), each rank updates its shard of master weights and keeps
// only its shard of m and v, and the bf16 weights are all-gathered. Checkpoints gather the full
// fp32 master weights and state on the host (each rank contributes its shard to a zero-filled
// array summed over ranks, which is exact).
// Not yet run on a GPU (see docs/cuda.md).
#if defined(HERMES_HAVE_CUDA)

#include <cmath>
#include <cstring>
#include <span>

#include "hermes/backend/cuda/buffer.cuh"
#include "hermes/backend/cuda/chunking.hpp"
#include "hermes/backend/cuda/data_parallel.hpp"
#include "hermes/backend/cuda/graph.hpp"
#include "hermes/backend/cuda/model.hpp"
#include "hermes/backend/cuda/optimizer.cuh"
#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"
#include "hermes/core/strings.hpp"
#include "hermes/dist/buckets.hpp"
#include "hermes/model/transformer.hpp"
#include "hermes/train/engine.hpp"

namespace hermes::train {

namespace cu = backend::cuda;

namespace {

// Dense bf16 tensor-core peak of one GPU, the MFU denominator (vendor figures); 0 when unknown.
double peak_bf16_flops(const cudaDeviceProp& p) {
  const std::string name = p.name;
  if (p.major == 9) return name.find("PCIe") != std::string::npos ? 756e12 : 989.4e12;  // H100/H200 SXM
  if (p.major == 8 && p.minor == 0) return 312e12;                                      // A100
  if (p.major == 8 && p.minor == 9) return 362e12;                                      // L40S
  return 0;
}

struct MuonTensor {
  std::int64_t device_offset = 0, state_offset = 0, rows = 0, cols = 0;
  bool decays = false;
};

class CudaEngine final : public Engine {
 public:
  CudaEngine(const deck::Deck& d, const dist::Communicator& comm, const model::ModelConfig& config, std::int64_t batch,
             std::int64_t seq_len)
      : d_(d),
        config_(config),
        N_(batch * seq_len),
        comm_(comm),
        zero1_(use_zero1(d, comm)),
        device_(cu::select_device(comm)),
        ctx_(device_),
        model_(config, batch, seq_len, ctx_, cu::Index(256) << 20, zero1_ ? cu::Index(comm.size()) * 16 : 16),
        graphs_(d.parallel.cuda_graphs) {
    HERMES_CUDA_CHECK(cudaGetDeviceProperties(&prop_, device_));
    const bool muon = d.optim.name == "muon";
    // The range of the arena this rank updates: all of it, or its ZeRO-1 shard.
    shard_ =
        zero1_ ? dist::shard_for(model_.num_params(), comm.size(), comm.rank(), 16)
               : dist::Shard{model_.num_params(), model_.num_params(), 0, model_.num_params(), 0, model_.num_params()};
    HERMES_ASSERT(shard_.padded_total == model_.num_params());
    host_slots_ = model::contiguous_slots(config);
    std::int64_t adam = 0, mom = 0, max_numel = 0, max_gram = 0, shard_state = 0;
    std::vector<cu::OptimSegment> segments;
    std::vector<std::int64_t> begins;
    for (const auto& slot : model_.slots()) {
      const auto& spec = slot.spec;
      begins.push_back(slot.offset);
      if (muon && spec.is_hidden_matrix && spec.shape.size() == 2) {
        muon_.push_back({slot.offset, mom, spec.shape[0], spec.shape[1], spec.decays});
        state_names_.push_back({spec.name + "/momentum", &host_mom_, mom, spec.numel()});
        mom += spec.numel();
        max_numel = std::max(max_numel, spec.numel());
        const std::int64_t r = std::min(spec.shape[0], spec.shape[1]);
        max_gram = std::max(max_gram, r * r);
      } else {
        // The part of this tensor inside the rank's shard, with its state compact over the shard.
        const std::int64_t lo = std::max(shard_.begin, slot.offset);
        const std::int64_t hi = std::min(shard_.end, slot.offset + spec.numel());
        if (lo < hi) {
          segments.push_back({lo - shard_.begin, hi - shard_.begin, shard_state, spec.decays});
          state_copies_.push_back({adam + (lo - slot.offset), shard_state, hi - lo});
          shard_state += hi - lo;
        }
        state_names_.push_back({spec.name + "/m", &host_m_, adam, spec.numel()});
        state_names_.push_back({spec.name + "/v", &host_v_, adam, spec.numel()});
        adam += spec.numel();
      }
    }
    host_params_.assign(static_cast<std::size_t>(model::contiguous_size(host_slots_)), 0.0f);
    host_m_.assign(static_cast<std::size_t>(adam), 0.0f);
    host_v_.assign(static_cast<std::size_t>(adam), 0.0f);
    host_mom_.assign(static_cast<std::size_t>(mom), 0.0f);

    const auto blocks = cu::plan_segment_blocks(segments, cu::kAdamBlockElems);
    n_blocks_ = static_cast<std::int64_t>(blocks.size());
    blocks_.allocate(blocks.size());
    m_.allocate(static_cast<std::size_t>(shard_state));
    v_.allocate(static_cast<std::size_t>(shard_state));
    mom_.allocate(static_cast<std::size_t>(mom));
    ns_x_.allocate(static_cast<std::size_t>(max_numel));
    ns_x2_.allocate(static_cast<std::size_t>(max_numel));
    ns_gram_.allocate(static_cast<std::size_t>(max_gram));
    ns_poly_.allocate(static_cast<std::size_t>(max_gram));
    partials_.allocate(cu::kReduceBlocks);
    norm2_.allocate(1);
    muon_norm2_.allocate(1);
    scalars_.allocate(1);
    for (int k = 0; k < 2; ++k) {
      stage_in_[k].allocate(static_cast<std::size_t>(N_));
      stage_tgt_[k].allocate(static_cast<std::size_t>(N_));
      stage_mask_[k].allocate(static_cast<std::size_t>(N_));
      HERMES_CUDA_CHECK(cu::create_into(staged_[k], cudaEventCreateWithFlags, cudaEventDisableTiming));
    }
    in_.allocate(static_cast<std::size_t>(N_));
    tgt_.allocate(static_cast<std::size_t>(N_));
    mask_.allocate(static_cast<std::size_t>(N_));
    h_scalars_.allocate(1);
    h_totals_.allocate(3);
    h_norm2_.allocate(1);
    const cudaStream_t s = ctx_.stream();
    HERMES_CUDA_CHECK(cudaMemcpyAsync(blocks_.data(), blocks.data(), blocks.size() * sizeof(cu::SegmentBlock),
                                      cudaMemcpyHostToDevice, s));
    HERMES_CUDA_CHECK(cudaMemsetAsync(m_.data(), 0, m_.bytes(), s));
    HERMES_CUDA_CHECK(cudaMemsetAsync(v_.data(), 0, v_.bytes(), s));
    HERMES_CUDA_CHECK(cudaMemsetAsync(mom_.data(), 0, mom_.bytes(), s));
    HERMES_CUDA_CHECK(cudaStreamSynchronize(s));

    if (comm.size() > 1) {
      nccl_ = std::make_unique<cu::NcclComm>(comm, device_);
      const auto bucket = static_cast<std::int64_t>(d.parallel.bucket_mb * 1024.0 * 1024.0 / sizeof(float));
      if (!zero1_)
        sync_ = std::make_unique<cu::GradientSync>(*nccl_, model_.grads(), begins, model_.num_params(),
                                                   std::max<std::int64_t>(bucket, 1));
    }
    ns_.x = ns_x_.data();
    ns_.x2 = ns_x2_.data();
    ns_.gram = ns_gram_.data();
    ns_.poly = ns_poly_.data();
    ns_.partials = partials_.data();
    ns_.norm2 = muon_norm2_.data();

    // The device's capacity against the model's estimate (weights, gradients, state, activations).
    std::size_t free_b = 0, total_b = 0;
    HERMES_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
    const auto est = model::training_memory(config, batch, seq_len, model::Precision::bf16, muon);
    if (est.total() > static_cast<double>(total_b))
      log::warn(
          "train.batch_size = {} x seq_len {} needs about {} of GPU memory, more than the {} of {}; lower "
          "train.batch_size and raise train.grad_accum to keep the effective batch",
          batch, seq_len, format_bytes(static_cast<std::uint64_t>(est.total())), format_bytes(total_b), prop_.name);
  }

  std::string describe() const override {
    return fmt::format(
        "cuda (device {}: {}, sm_{}{}, bf16 weights and activations, fp32 master weights and optimizer "
        "state, attention {}, CUDA graphs {}, {})",
        device_, prop_.name, prop_.major, prop_.minor, cu::to_string(model_.attention()), graphs_ ? "on" : "off",
        nccl_ ? fmt::format("NCCL over {} ranks{}", nccl_->size(), zero1_ ? ", ZeRO-1" : "") : std::string("one rank"));
  }
  std::int64_t num_params() const override { return static_cast<std::int64_t>(host_params_.size()); }

  void init(std::uint64_t seed) override {
    model::init_parameters(config_, host_slots_, seed, host_params_.data());
    model_.load(host_params_.data());
  }

  void begin_step() override {
    model_.zero_grads();
    model_.clear_totals();
  }

  void micro_batch(const data::Batch& b, bool last) override {
    stage(b);
    const bool sync = last && nccl_;
    auto body = [this, sync] {
      if (!sync) {
        model_.forward_backward(in_.data(), tgt_.data(), mask_.data(), 1.0f);
        return;
      }
      const cudaStream_t s = ctx_.stream();
      if (zero1_) {
        model_.forward_backward(in_.data(), tgt_.data(), mask_.data(), 1.0f);
        cu::zero1_reduce_scatter(*nccl_, model_.grads(), shard_, s);
        return;
      }
      sync_->start();
      model_.forward_backward(in_.data(), tgt_.data(), mask_.data(), 1.0f,
                              [this, s](std::int64_t from) { sync_->on_ready(from, s); });
      sync_->finish(s);
    };
    run(sync ? micro_last_graph_ : micro_graph_, sync ? micro_last_eager_ : micro_eager_, body);
  }

  // One host round trip per step: the loss sums and the gradients' squared norm (the norm does
  // not depend on the token count the trainer sums over ranks next) come back together.
  LossSums finish_gradients() override {
    cu::sum_squares(norm2_.data(), model_.grads() + shard_.begin, shard_.shard_size, partials_.data(), ctx_.stream());
    HERMES_CUDA_CHECK(
        cudaMemcpyAsync(h_norm2_.data(), norm2_.data(), sizeof(double), cudaMemcpyDeviceToHost, ctx_.stream()));
    return read_totals();
  }

  double normalise(float inv_tokens) override {
    // The scale is applied inside the update (OptimScalars::grad_scale); here only the norm.
    inv_tokens_ = inv_tokens;
    double norm2 = *h_norm2_.data();
    if (zero1_) comm_.allreduce_sum(std::span<double>(&norm2, 1));  // the shards' sums
    return std::sqrt(norm2) * static_cast<double>(inv_tokens);
  }

  void update(float clip, std::int64_t step, double lr_factor) override {
    const auto& o = d_.optim;
    cu::OptimScalars& sc = *h_scalars_.data();  // free: the previous update's copy finished at the last sync
    sc.lr = static_cast<float>(o.lr * lr_factor);
    sc.beta1 = static_cast<float>(o.beta1);
    sc.beta2 = static_cast<float>(o.beta2);
    sc.eps = static_cast<float>(o.eps);
    sc.weight_decay = static_cast<float>(o.weight_decay);
    sc.bias_c1 = static_cast<float>(1.0 - std::pow(o.beta1, static_cast<double>(step)));
    sc.bias_c2 = static_cast<float>(1.0 - std::pow(o.beta2, static_cast<double>(step)));
    sc.grad_scale = inv_tokens_ * clip;
    sc.muon_lr = static_cast<float>(o.muon_lr * lr_factor);
    sc.muon_momentum = static_cast<float>(o.muon_momentum);
    HERMES_CUDA_CHECK(cudaMemcpyAsync(scalars_.data(), h_scalars_.data(), sizeof(cu::OptimScalars),
                                      cudaMemcpyHostToDevice, ctx_.stream()));
    auto body = [this] {
      const cu::Index o = shard_.begin;
      if (n_blocks_ > 0)
        cu::adamw_update(model_.master() + o, model_.weights() + o, model_.grads() + o, m_.data(), v_.data(),
                         blocks_.data(), n_blocks_, scalars_.data(), ctx_.stream());
      if (zero1_) cu::zero1_all_gather(*nccl_, model_.weights(), shard_, ctx_.stream());
      for (const auto& t : muon_)
        cu::muon_update(model_.master() + t.device_offset, model_.weights() + t.device_offset,
                        model_.grads() + t.device_offset, mom_.data() + t.state_offset, t.rows, t.cols, t.decays,
                        static_cast<int>(d_.optim.ns_steps), scalars_.data(), ns_, ctx_);
    };
    run(update_graph_, update_eager_, body);
  }

  LossSums evaluate(const data::Batch& b) override {
    stage(b);
    model_.clear_totals();
    model_.forward(in_.data(), tgt_.data(), mask_.data());
    const auto sums = read_totals();
    model_.clear_totals();
    return sums;
  }

  std::vector<io::TensorRef> weights() override {
    std::vector<io::TensorRef> out;
    for (const auto& s : host_slots_) out.push_back({s.spec.name, s.spec.shape, host_params_.data() + s.offset});
    return out;
  }
  std::vector<io::TensorRef> optimizer_state() override {
    std::vector<io::TensorRef> out;
    for (const auto& n : state_names_) out.push_back({n.name, {n.numel}, n.mirror->data() + n.offset});
    return out;
  }
  void pull_weights() override {
    model_.save(host_params_.data());
    if (zero1_) gather_weights();
  }
  void pull() override {
    pull_weights();
    copy_state(cudaMemcpyDeviceToHost);
    if (zero1_) {
      comm_.allreduce_sum(std::span<float>(host_m_));
      comm_.allreduce_sum(std::span<float>(host_v_));
    }
  }
  void push() override {
    model_.load(host_params_.data());
    copy_state(cudaMemcpyHostToDevice);
  }

  std::size_t allocated_bytes() const override {
    return model_.device_bytes() + m_.bytes() + v_.bytes() + mom_.bytes() + ns_x_.bytes() + ns_x2_.bytes() +
           ns_gram_.bytes() + ns_poly_.bytes() + blocks_.bytes() + in_.bytes() + tgt_.bytes() + mask_.bytes();
  }
  double peak_flops() const override { return peak_bf16_flops(prop_); }

 private:
  // The device's loss sums, after everything queued so far.
  LossSums read_totals() {
    const cudaStream_t s = ctx_.stream();
    HERMES_CUDA_CHECK(
        cudaMemcpyAsync(h_totals_.data(), model_.totals(), 3 * sizeof(double), cudaMemcpyDeviceToHost, s));
    HERMES_CUDA_CHECK(cudaStreamSynchronize(s));
    return {h_totals_.data()[0], h_totals_.data()[1], h_totals_.data()[2]};
  }

  // Host batch -> pinned staging k -> the device input buffers, in stream order (the buffers are
  // not overwritten before the previous micro-batch's kernels have read them).
  void stage(const data::Batch& b) {
    HERMES_ASSERT(static_cast<std::int64_t>(b.inputs.size()) == N_);
    HERMES_ASSERT(static_cast<std::int64_t>(b.targets.size()) == N_);
    HERMES_ASSERT(b.mask.empty() || static_cast<std::int64_t>(b.mask.size()) == N_);
    model::check_token_ids(b.inputs.data(), b.targets.data(), N_, config_.vocab_size);
    const int k = next_stage_;
    next_stage_ ^= 1;
    HERMES_CUDA_CHECK(cudaEventSynchronize(staged_[k].get()));  // the copy that last read buffer k is done
    std::memcpy(stage_in_[k].data(), b.inputs.data(), N_ * sizeof(std::int32_t));
    std::memcpy(stage_tgt_[k].data(), b.targets.data(), N_ * sizeof(std::int32_t));
    if (b.mask.empty())
      std::memset(stage_mask_[k].data(), 1, N_);
    else
      std::memcpy(stage_mask_[k].data(), b.mask.data(), N_);
    const cudaStream_t s = ctx_.stream();
    HERMES_CUDA_CHECK(
        cudaMemcpyAsync(in_.data(), stage_in_[k].data(), N_ * sizeof(std::int32_t), cudaMemcpyHostToDevice, s));
    HERMES_CUDA_CHECK(
        cudaMemcpyAsync(tgt_.data(), stage_tgt_[k].data(), N_ * sizeof(std::int32_t), cudaMemcpyHostToDevice, s));
    HERMES_CUDA_CHECK(cudaMemcpyAsync(mask_.data(), stage_mask_[k].data(), N_, cudaMemcpyHostToDevice, s));
    HERMES_CUDA_CHECK(cudaEventRecord(staged_[k].get(), s));
  }

  // Runs `body` eagerly the first time (cuBLASLt plans and cuDNN graphs are built then, outside
  // any capture), captures it on the second, replays the graph from then on.
  void run(cu::Graph& graph, int& eager_runs, const std::function<void()>& body) {
    if (!graphs_ || eager_runs < 1) {
      body();
      ++eager_runs;
      return;
    }
    if (!graph.ready()) graph.capture(ctx_.stream(), body);
    graph.launch(ctx_.stream());
  }

  void copy_state(cudaMemcpyKind kind) {
    const cudaStream_t s = ctx_.stream();
    auto copy = [&](float* dev, std::vector<float>& host) {
      if (host.empty()) return;
      if (kind == cudaMemcpyDeviceToHost)
        HERMES_CUDA_CHECK(cudaMemcpyAsync(host.data(), dev, host.size() * sizeof(float), kind, s));
      else
        HERMES_CUDA_CHECK(cudaMemcpyAsync(dev, host.data(), host.size() * sizeof(float), kind, s));
    };
    // m and v: this rank's pieces (all of them without ZeRO-1) between the full host layout and
    // the device's shard-compact arrays; under ZeRO-1 the other ranks' pieces read as zeros.
    if (zero1_ && kind == cudaMemcpyDeviceToHost) {
      std::fill(host_m_.begin(), host_m_.end(), 0.0f);
      std::fill(host_v_.begin(), host_v_.end(), 0.0f);
    }
    for (const auto& c : state_copies_)
      for (auto [dev, host] : {std::pair{m_.data(), host_m_.data()}, std::pair{v_.data(), host_v_.data()}}) {
        if (kind == cudaMemcpyDeviceToHost)
          HERMES_CUDA_CHECK(cudaMemcpyAsync(host + c.full, dev + c.shard, c.len * sizeof(float), kind, s));
        else
          HERMES_CUDA_CHECK(cudaMemcpyAsync(dev + c.shard, host + c.full, c.len * sizeof(float), kind, s));
      }
    copy(mom_.data(), host_mom_);
    HERMES_CUDA_CHECK(cudaStreamSynchronize(s));
  }

  // ZeRO-1: every rank's master weights (and m, v) are current only on its shard. Zero the rest
  // of the host mirror and sum over ranks: each element then holds its owner's value exactly.
  // (copy_state writes this rank's m and v pieces into zeroed mirrors for the same sum.)
  void gather_weights() {
    const auto& dev = model_.slots();
    for (std::size_t i = 0; i < dev.size(); ++i) {
      float* p = host_params_.data() + host_slots_[i].offset;
      for (std::int64_t j = 0; j < dev[i].spec.numel(); ++j) {
        const std::int64_t at = dev[i].offset + j;
        if (at < shard_.begin || at >= shard_.end) p[j] = 0.0f;
      }
    }
    comm_.allreduce_sum(std::span<float>(host_params_));
  }

  static bool use_zero1(const deck::Deck& d, const dist::Communicator& comm) {
    if (!d.parallel.zero1) return false;
    if (comm.size() == 1) return false;  // one rank: the shard is everything
    if (d.optim.name == "muon") {
      log::warn(
          "{}: parallel.zero1 shards AdamW state only and Muon needs each hidden matrix whole; every rank "
          "keeps the whole optimizer state",
          d.where("parallel.zero1"));
      return false;
    }
    return true;
  }

  struct StateCopy {
    std::int64_t full = 0, shard = 0, len = 0;  // m/v elements: host layout offset, device offset
  };
  struct StateName {
    std::string name;            // "<param>/<state>", the checkpoint's name
    std::vector<float>* mirror;  // host_m_, host_v_ or host_mom_
    std::int64_t offset = 0, numel = 0;
  };

  deck::Deck d_;  // a copy: optimizer settings are read at every update
  model::ModelConfig config_;
  std::int64_t N_;
  const dist::Communicator& comm_;
  bool zero1_;
  int device_;
  cudaDeviceProp prop_{};
  cu::Context ctx_;
  cu::Model model_;
  bool graphs_;
  std::unique_ptr<cu::NcclComm> nccl_;
  std::unique_ptr<cu::GradientSync> sync_;
  std::vector<model::ParamSlot> host_slots_;  // contiguous layout order (checkpoints, init)
  std::vector<float> host_params_, host_m_, host_v_, host_mom_;
  std::vector<StateName> state_names_;
  std::vector<StateCopy> state_copies_;
  dist::Shard shard_;
  std::vector<MuonTensor> muon_;
  std::int64_t n_blocks_ = 0;
  cu::DeviceBuffer<cu::SegmentBlock> blocks_;
  cu::DeviceBuffer<float> m_, v_, mom_, ns_x_, ns_x2_, ns_gram_, ns_poly_;
  cu::DeviceBuffer<double> partials_, norm2_, muon_norm2_;
  cu::DeviceBuffer<cu::OptimScalars> scalars_;
  cu::DeviceBuffer<std::int32_t> in_, tgt_;
  cu::DeviceBuffer<std::uint8_t> mask_;
  cu::PinnedBuffer<std::int32_t> stage_in_[2], stage_tgt_[2];
  cu::PinnedBuffer<std::uint8_t> stage_mask_[2];
  cu::Owned<cudaEvent_t, cudaEventDestroy> staged_[2];
  int next_stage_ = 0;
  cu::PinnedBuffer<cu::OptimScalars> h_scalars_;
  cu::PinnedBuffer<double> h_totals_, h_norm2_;
  cu::MuonWorkspace ns_{};
  float inv_tokens_ = 1.0f;
  cu::Graph micro_graph_, micro_last_graph_, update_graph_;
  int micro_eager_ = 0, micro_last_eager_ = 0, update_eager_ = 0;
};

}  // namespace

std::unique_ptr<Engine> make_cuda_engine(const deck::Deck& d, const dist::Communicator& comm,
                                         const model::ModelConfig& config, std::int64_t batch, std::int64_t seq_len) {
  return std::make_unique<CudaEngine>(d, comm, config, batch, seq_len);
}

}  // namespace hermes::train

#endif  // HERMES_HAVE_CUDA
