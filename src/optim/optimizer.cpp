#include "hermes/optim/optimizer.hpp"

#include <algorithm>
#include <cmath>

#include "hermes/backend/host/common.hpp"

namespace hermes::optim {

using backend::host::k_sqrt;
using backend::host::Range;

Schedule schedule_named(const std::string& name) {
  if (name == "constant") return Schedule::constant;
  if (name == "wsd") return Schedule::wsd;
  return Schedule::cosine;
}

double LrSchedule::factor(std::int64_t step, std::int64_t total) const {
  if (warmup > 0 && step < warmup) return static_cast<double>(step + 1) / static_cast<double>(warmup);
  if (shape == Schedule::constant || total <= warmup) return 1.0;
  const double progress = std::min(1.0, static_cast<double>(step - warmup) / static_cast<double>(total - warmup));
  if (shape == Schedule::cosine) return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + std::cos(M_PI * progress));
  const double stable = 1.0 - decay_fraction;
  if (progress <= stable) return 1.0;
  return 1.0 - (1.0 - min_ratio) * (progress - stable) / decay_fraction;
}

double global_norm(const float* g, std::int64_t n) {
  double sum = 0;
  Kokkos::parallel_reduce(
      "optim::grad_norm", Range(0, n),
      KOKKOS_LAMBDA(const std::int64_t i, double& acc) {
        acc += static_cast<double>(g[i]) * static_cast<double>(g[i]);
      },
      sum);
  return std::sqrt(sum);
}

void scale(float* v, std::int64_t n, float f) {
  Kokkos::parallel_for(
      "optim::scale", Range(0, n), KOKKOS_LAMBDA(const std::int64_t i) { v[i] *= f; });
}

bool all_finite(const float* v, std::int64_t n) {
  std::int64_t bad = 0;
  Kokkos::parallel_reduce(
      "optim::finite_check", Range(0, n),
      KOKKOS_LAMBDA(const std::int64_t i, std::int64_t& acc) {
        const float x = v[i];
        acc += (x - x != 0.0f) ? 1 : 0;  // NaN and Inf give NaN here
      },
      bad);
  return bad == 0;
}

Optimizer::Optimizer(const std::vector<model::ParamSlot>& slots, Index n_params, const Settings& s)
    : s_(s), slots_(slots) {
  const bool muon = s.name == "muon";
  Index m = 0, v = 0, ns = 0, r2 = 0;
  for (const auto& slot : slots_) {
    const bool mu = muon && slot.spec.is_hidden_matrix && slot.spec.shape.size() == 2;
    entries_.push_back({&slot, mu, m, mu ? -1 : v});
    m += slot.spec.numel();
    if (!mu) v += slot.spec.numel();
    if (mu) {
      ns = std::max(ns, slot.spec.numel());
      const Index r = std::min(slot.spec.shape[0], slot.spec.shape[1]);
      r2 = std::max(r2, r * r);
    }
  }
  (void)n_params;
  m_ = backend::host::HostArray<float>("optim::m", static_cast<std::size_t>(m));
  v_ = backend::host::HostArray<float>("optim::v", static_cast<std::size_t>(v));
  x_ = backend::host::HostArray<float>("optim::ns_x", static_cast<std::size_t>(ns));
  x2_ = backend::host::HostArray<float>("optim::ns_x2", static_cast<std::size_t>(ns));
  a_ = backend::host::HostArray<float>("optim::ns_a", static_cast<std::size_t>(r2));
  b_ = backend::host::HostArray<float>("optim::ns_b", static_cast<std::size_t>(r2));
}

std::vector<Optimizer::StateTensor> Optimizer::state() {
  std::vector<StateTensor> out;
  for (const auto& e : entries_) {
    const Index n = e.slot->spec.numel();
    if (e.muon) {
      out.push_back({e.slot->spec.name, "momentum", m_.data() + e.m_off, n});
    } else {
      out.push_back({e.slot->spec.name, "m", m_.data() + e.m_off, n});
      out.push_back({e.slot->spec.name, "v", v_.data() + e.v_off, n});
    }
  }
  return out;
}

std::size_t Optimizer::state_bytes() const { return (m_.extent(0) + v_.extent(0)) * sizeof(float); }

void Optimizer::update(float* params, const float* grads, std::int64_t step, double lr_factor) {
  const double lr = s_.lr * lr_factor;
  const float b1 = static_cast<float>(s_.beta1), b2 = static_cast<float>(s_.beta2), eps = static_cast<float>(s_.eps);
  const float c1 = static_cast<float>(1.0 - std::pow(s_.beta1, static_cast<double>(step)));
  const float c2 = static_cast<float>(1.0 - std::pow(s_.beta2, static_cast<double>(step)));
  for (const auto& e : entries_) {
    const Index off = e.slot->offset, n = e.slot->spec.numel();
    float* p = params + off;
    const float* g = grads + off;
    float* m = m_.data() + e.m_off;
    if (e.muon) {
      muon_update(p, g, m, e.slot->spec.shape[0], e.slot->spec.shape[1], s_.muon_lr * lr_factor, e.slot->spec.decays);
      continue;
    }
    float* v = v_.data() + e.v_off;
    const float lrf = static_cast<float>(lr);
    const float decay = e.slot->spec.decays ? static_cast<float>(1.0 - lr * s_.weight_decay) : 1.0f;
    Kokkos::parallel_for(
        "adamw::update", Range(0, n), KOKKOS_LAMBDA(const Index i) {
          const float gi = g[i];
          const float mi = b1 * m[i] + (1.0f - b1) * gi;
          const float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
          m[i] = mi;
          v[i] = vi;
          p[i] = p[i] * decay - lrf * (mi / c1) / (k_sqrt(vi / c2) + eps);
        });
  }
}

// Muon for one (rows, cols) matrix. X0 = u / ||u||_F; if rows > cols work on X^T so that
// A = X X^T is the small (r, r) Gram matrix; X <- a X + (b A + c A A) X.
void Optimizer::muon_update(float* p, const float* g, float* mom, Index rows, Index cols, double lr, bool decay) {
  namespace h = backend::host;
  const Index n = rows * cols;
  const float mu = static_cast<float>(s_.muon_momentum);
  float* x = x_.data();
  float* x2 = x2_.data();
  float* A = a_.data();
  float* Bm = b_.data();
  Kokkos::parallel_for(
      "muon::nesterov", Range(0, n), KOKKOS_LAMBDA(const Index i) {
        const float mi = mu * mom[i] + g[i];
        mom[i] = mi;
        x2[i] = g[i] + mu * mi;
      });
  const bool tall = rows > cols;
  const Index r = tall ? cols : rows, k = tall ? rows : cols;
  if (tall) {
    Kokkos::parallel_for(
        "muon::transpose", Range(0, rows), KOKKOS_LAMBDA(const Index i) {
          for (Index j = 0; j < cols; ++j) x[j * rows + i] = x2[i * cols + j];
        });
  } else {
    Kokkos::deep_copy(Kokkos::subview(x_, std::make_pair(Index{0}, n)),
                      Kokkos::subview(x2_, std::make_pair(Index{0}, n)));
  }
  double ss = 0;
  Kokkos::parallel_reduce(
      "muon::norm", Range(0, n), KOKKOS_LAMBDA(const Index i, double& acc) { acc += static_cast<double>(x[i]) * x[i]; },
      ss);
  const float inv = static_cast<float>(1.0 / (std::sqrt(ss) + 1e-7));
  Kokkos::parallel_for(
      "muon::normalize", Range(0, n), KOKKOS_LAMBDA(const Index i) { x[i] *= inv; });
  const float qa = 3.4445f, qb = -4.7750f, qc = 2.0315f;
  for (std::int64_t it = 0; it < s_.ns_steps; ++it) {
    h::gemm<float>(false, true, r, r, k, 1.0f, x, k, x, k, 0.0f, A, r);  // A = X X^T
    h::gemm<float>(false, false, r, r, r, qc, A, r, A, r, 0.0f, Bm, r);  // B = c A A
    Kokkos::parallel_for(
        "muon::poly", Range(0, r * r), KOKKOS_LAMBDA(const Index i) { Bm[i] += qb * A[i]; });
    Kokkos::deep_copy(Kokkos::subview(x2_, std::make_pair(Index{0}, n)),
                      Kokkos::subview(x_, std::make_pair(Index{0}, n)));
    h::gemm<float>(false, false, r, k, r, 1.0f, Bm, r, x2, k, qa, x, k);  // X = a X + B X
  }
  const float step =
      static_cast<float>(lr * std::sqrt(std::max(1.0, static_cast<double>(rows) / static_cast<double>(cols))));
  const float d = decay ? static_cast<float>(1.0 - lr * s_.weight_decay) : 1.0f;
  Kokkos::parallel_for(
      "muon::apply", Range(0, n), KOKKOS_LAMBDA(const Index i) {
        const Index row = i / cols, col = i % cols;
        const float o = tall ? x[col * rows + row] : x[i];
        p[i] = p[i] * d - step * o;
      });
}

}  // namespace hermes::optim
