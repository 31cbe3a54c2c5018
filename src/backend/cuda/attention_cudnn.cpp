#include "hermes/backend/cuda/attention_cudnn.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <initializer_list>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "hermes/core/error.hpp"

namespace hermes::backend::cuda {

namespace {

// Like HERMES_CUDNN_CHECK, plus cuDNN's last-error text, which names the attribute, shape or
// pattern it refused (the call text names the attribute we were setting).
void check_graph_call(cudnnStatus_t s, const char* call, const char* file, int line) {
  if (s == CUDNN_STATUS_SUCCESS) return;
  char last[512] = {};
  cudnnGetLastErrorString(last, sizeof(last));
  const std::string msg =
      last[0] != '\0' ? fmt::format("{}: {}", cudnnGetErrorString(s), last) : std::string(cudnnGetErrorString(s));
  library_failure("cuDNN", static_cast<long>(s), msg.c_str(), call, file, line);
}

}  // namespace
}  // namespace hermes::backend::cuda

#define HERMES_CUDNN_GRAPH_CHECK(call) ::hermes::backend::cuda::check_graph_call((call), #call, __FILE__, __LINE__)
// cudnnBackendSetAttribute with the attribute's name in the error message.
#define HERMES_CUDNN_SET(desc, attr, type, count, values) \
  HERMES_CUDNN_GRAPH_CHECK(cudnnBackendSetAttribute((desc), attr, type, (count), (values)))

namespace hermes::backend::cuda {

namespace {

using Dims = std::array<std::int64_t, 4>;

Dims packed_strides(const Dims& d) { return {d[1] * d[2] * d[3], d[2] * d[3], d[3], 1}; }

// Owns one backend descriptor.
class Desc {
 public:
  Desc() = default;
  explicit Desc(cudnnBackendDescriptorType_t type) {
    HERMES_CUDNN_GRAPH_CHECK(cudnnBackendCreateDescriptor(type, &d_));
  }
  ~Desc() {
    if (d_ != nullptr) cudnnBackendDestroyDescriptor(d_);
  }
  Desc(Desc&& o) noexcept : d_(std::exchange(o.d_, nullptr)) {}
  Desc& operator=(Desc&& o) noexcept {
    if (this != &o) {
      if (d_ != nullptr) cudnnBackendDestroyDescriptor(d_);
      d_ = std::exchange(o.d_, nullptr);
    }
    return *this;
  }
  Desc(const Desc&) = delete;
  Desc& operator=(const Desc&) = delete;
  cudnnBackendDescriptor_t get() const { return d_; }

 private:
  cudnnBackendDescriptor_t d_ = nullptr;
};

// Unique ids of the tensors bound in the variant packs (virtual intermediates count from 100).
enum Uid : std::int64_t {
  kQ = 1,          // (B, H, T, D) in qkv
  kKt = 2,         // (B, KVH, D, T): K transposed by strides, for Q K^T
  kV = 3,          // (B, KVH, T, D) in qkv
  kO = 4,          // (B, H, T, D) in out (B, T, H*D)
  kStats = 5,      // (B, H, T, 1) fp32
  kScale = 6,      // by value: 1/sqrt(D)
  kMaskValue = 7,  // by value: what masked scores become
  kdO = 8,         // (B, H, T, D) in dout
  kOne = 9,        // by value: 1 (the dropout-scale slots of cuDNN's backward pattern, unused)
  kVt = 10,        // (B, KVH, D, T): V transposed by strides, for dO V^T
  kdQ = 11,        // (B, H, T, D) in dqkv
  kdK = 12,        // (B, KVH, T, D) in dqkv
  kdV = 13,        // (B, KVH, T, D) in dqkv
};

// Collects the descriptors of one operation graph and keeps them alive as long as its plan.
class GraphBuilder {
 public:
  cudnnBackendDescriptor_t tensor(std::int64_t uid, cudnnDataType_t type, const Dims& dims, const Dims& strides) {
    return make_tensor(uid, type, dims, strides, false, false);
  }
  // fp32 scalar passed by value in the variant pack (a host pointer to the float).
  cudnnBackendDescriptor_t scalar(std::int64_t uid) {
    return make_tensor(uid, CUDNN_DATA_FLOAT, {1, 1, 1, 1}, {1, 1, 1, 1}, false, true);
  }
  cudnnBackendDescriptor_t virt(cudnnDataType_t type, const Dims& dims) {
    return make_tensor(next_virtual_++, type, dims, packed_strides(dims), true, false);
  }
  cudnnBackendDescriptor_t virt(cudnnDataType_t type, const Dims& dims, const Dims& strides) {
    return make_tensor(next_virtual_++, type, dims, strides, true, false);
  }

  // c = a b over the last two dims, batch dims broadcast (GQA: a has H heads, b has KVH).
  void matmul(cudnnBackendDescriptor_t a, cudnnBackendDescriptor_t b, cudnnBackendDescriptor_t c) {
    Desc& mm = keep(Desc(CUDNN_BACKEND_MATMUL_DESCRIPTOR));
    const cudnnDataType_t comp = CUDNN_DATA_FLOAT;
    HERMES_CUDNN_SET(mm.get(), CUDNN_ATTR_MATMUL_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &comp);
    HERMES_CUDNN_GRAPH_CHECK(cudnnBackendFinalize(mm.get()));
    Desc& op = keep(Desc(CUDNN_BACKEND_OPERATION_MATMUL_DESCRIPTOR));
    const cudnnBackendDescriptor_t mmd = mm.get();
    HERMES_CUDNN_SET(op.get(), CUDNN_ATTR_OPERATION_MATMUL_ADESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &a);
    HERMES_CUDNN_SET(op.get(), CUDNN_ATTR_OPERATION_MATMUL_BDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &b);
    HERMES_CUDNN_SET(op.get(), CUDNN_ATTR_OPERATION_MATMUL_CDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &c);
    HERMES_CUDNN_SET(op.get(), CUDNN_ATTR_OPERATION_MATMUL_DESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &mmd);
    add_op(op);
  }

  // y = mode(x [, b [, t]]); BINARY_SELECT: y = t ? x : b. axis: GEN_INDEX's dimension.
  void pointwise(cudnnPointwiseMode_t mode, cudnnBackendDescriptor_t x, cudnnBackendDescriptor_t y,
                 cudnnBackendDescriptor_t b = nullptr, cudnnBackendDescriptor_t t = nullptr,
                 cudnnDataType_t math = CUDNN_DATA_FLOAT, std::int64_t axis = -1) {
    Desc& pw = keep(Desc(CUDNN_BACKEND_POINTWISE_DESCRIPTOR));
    HERMES_CUDNN_SET(pw.get(), CUDNN_ATTR_POINTWISE_MODE, CUDNN_TYPE_POINTWISE_MODE, 1, &mode);
    HERMES_CUDNN_SET(pw.get(), CUDNN_ATTR_POINTWISE_MATH_PREC, CUDNN_TYPE_DATA_TYPE, 1, &math);
    if (axis >= 0) HERMES_CUDNN_SET(pw.get(), CUDNN_ATTR_POINTWISE_AXIS, CUDNN_TYPE_INT64, 1, &axis);
    HERMES_CUDNN_GRAPH_CHECK(cudnnBackendFinalize(pw.get()));
    Desc& op = keep(Desc(CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR));
    const cudnnBackendDescriptor_t pwd = pw.get();
    HERMES_CUDNN_SET(op.get(), CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &pwd);
    HERMES_CUDNN_SET(op.get(), CUDNN_ATTR_OPERATION_POINTWISE_XDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &x);
    if (b != nullptr)
      HERMES_CUDNN_SET(op.get(), CUDNN_ATTR_OPERATION_POINTWISE_BDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &b);
    if (t != nullptr)
      HERMES_CUDNN_SET(op.get(), CUDNN_ATTR_OPERATION_POINTWISE_TDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &t);
    HERMES_CUDNN_SET(op.get(), CUDNN_ATTR_OPERATION_POINTWISE_YDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &y);
    add_op(op);
  }

  // y = reduce(x) over the dims where y has extent 1.
  void reduction(cudnnReduceTensorOp_t mode, cudnnBackendDescriptor_t x, cudnnBackendDescriptor_t y) {
    Desc& red = keep(Desc(CUDNN_BACKEND_REDUCTION_DESCRIPTOR));
    const cudnnDataType_t comp = CUDNN_DATA_FLOAT;
    HERMES_CUDNN_SET(red.get(), CUDNN_ATTR_REDUCTION_OPERATOR, CUDNN_TYPE_REDUCTION_OPERATOR_TYPE, 1, &mode);
    HERMES_CUDNN_SET(red.get(), CUDNN_ATTR_REDUCTION_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &comp);
    HERMES_CUDNN_GRAPH_CHECK(cudnnBackendFinalize(red.get()));
    Desc& op = keep(Desc(CUDNN_BACKEND_OPERATION_REDUCTION_DESCRIPTOR));
    const cudnnBackendDescriptor_t rd = red.get();
    HERMES_CUDNN_SET(op.get(), CUDNN_ATTR_OPERATION_REDUCTION_XDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &x);
    HERMES_CUDNN_SET(op.get(), CUDNN_ATTR_OPERATION_REDUCTION_YDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &y);
    HERMES_CUDNN_SET(op.get(), CUDNN_ATTR_OPERATION_REDUCTION_DESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &rd);
    add_op(op);
  }

  // y = x seen through y's dims and strides (here: a transpose of the last two dims).
  void reshape(cudnnBackendDescriptor_t x, cudnnBackendDescriptor_t y) {
    Desc& op = keep(Desc(CUDNN_BACKEND_OPERATION_RESHAPE_DESCRIPTOR));
    HERMES_CUDNN_SET(op.get(), CUDNN_ATTR_OPERATION_RESHAPE_XDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &x);
    HERMES_CUDNN_SET(op.get(), CUDNN_ATTR_OPERATION_RESHAPE_YDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &y);
    add_op(op);
  }

  // Finalises the operation graph; handle may be null (host-side check, cuDNN 9 does not need it).
  cudnnBackendDescriptor_t finalize(cudnnHandle_t handle) {
    graph_ = Desc(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR);
    if (handle != nullptr)
      HERMES_CUDNN_SET(graph_.get(), CUDNN_ATTR_OPERATIONGRAPH_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle);
    HERMES_CUDNN_SET(graph_.get(), CUDNN_ATTR_OPERATIONGRAPH_OPS, CUDNN_TYPE_BACKEND_DESCRIPTOR,
                     static_cast<std::int64_t>(ops_.size()), ops_.data());
    HERMES_CUDNN_GRAPH_CHECK(cudnnBackendFinalize(graph_.get()));
    return graph_.get();
  }
  int op_count() const { return static_cast<int>(ops_.size()); }

 private:
  cudnnBackendDescriptor_t make_tensor(std::int64_t uid, cudnnDataType_t type, const Dims& dims, const Dims& strides,
                                       bool is_virtual, bool by_value) {
    Desc& t = keep(Desc(CUDNN_BACKEND_TENSOR_DESCRIPTOR));
    const std::int64_t alignment = 16;
    HERMES_CUDNN_SET(t.get(), CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &type);
    HERMES_CUDNN_SET(t.get(), CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_TYPE_INT64, 4, dims.data());
    HERMES_CUDNN_SET(t.get(), CUDNN_ATTR_TENSOR_STRIDES, CUDNN_TYPE_INT64, 4, strides.data());
    HERMES_CUDNN_SET(t.get(), CUDNN_ATTR_TENSOR_UNIQUE_ID, CUDNN_TYPE_INT64, 1, &uid);
    HERMES_CUDNN_SET(t.get(), CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, CUDNN_TYPE_INT64, 1, &alignment);
    if (is_virtual) HERMES_CUDNN_SET(t.get(), CUDNN_ATTR_TENSOR_IS_VIRTUAL, CUDNN_TYPE_BOOLEAN, 1, &is_virtual);
    if (by_value) HERMES_CUDNN_SET(t.get(), CUDNN_ATTR_TENSOR_IS_BY_VALUE, CUDNN_TYPE_BOOLEAN, 1, &by_value);
    HERMES_CUDNN_GRAPH_CHECK(cudnnBackendFinalize(t.get()));
    return t.get();
  }
  Desc& keep(Desc d) {
    descs_.push_back(std::move(d));
    return descs_.back();
  }
  void add_op(const Desc& op) {
    HERMES_CUDNN_GRAPH_CHECK(cudnnBackendFinalize(op.get()));
    ops_.push_back(op.get());
  }

  std::deque<Desc> descs_;  // a deque: keep() hands out references that must survive later keeps
  std::vector<cudnnBackendDescriptor_t> ops_;
  Desc graph_;
  std::int64_t next_virtual_ = 100;
};

// The packed layouts, as cuDNN tensors.
struct Layout {
  Index B, T, H, KVH, D;
  Index W() const { return (H + 2 * KVH) * D; }
  bool gqa() const { return KVH < H; }
  Dims q() const { return {B, H, T, D}; }
  Dims kv() const { return {B, KVH, T, D}; }
  Dims kv_t() const { return {B, KVH, D, T}; }
  Dims tt() const { return {B, H, T, T}; }
  Dims row() const { return {B, H, T, 1}; }
  Dims qkv_strides() const { return {T * W(), D, W(), 1}; }       // q, k or v heads inside a qkv row
  Dims qkv_t_strides() const { return {T * W(), D, 1, W()}; }     // the same, last two dims swapped
  Dims out_strides() const { return {T * H * D, D, H * D, 1}; }   // (B, T, H*D) rows
  Dims row_strides() const { return {H * T, T, 1, 1}; }           // (B, H, T) fp32
  Dims tt_t_strides() const { return {H * T * T, T * T, 1, T}; }  // (B, H, T, T) transposed
};

// scale, causal mask: S*scale where row >= col, the mask value elsewhere (the row/col index
// pattern cuDNN's fused attention engines recognise).
cudnnBackendDescriptor_t scaled_causal_scores(GraphBuilder& g, const Layout& L, cudnnBackendDescriptor_t s,
                                              cudnnBackendDescriptor_t scale, cudnnBackendDescriptor_t mask_value) {
  auto scaled = g.virt(CUDNN_DATA_FLOAT, L.tt());
  g.pointwise(CUDNN_POINTWISE_MUL, s, scaled, scale);
  auto row = g.virt(CUDNN_DATA_INT32, L.tt());
  g.pointwise(CUDNN_POINTWISE_GEN_INDEX, scaled, row, nullptr, nullptr, CUDNN_DATA_INT32, 2);
  auto col = g.virt(CUDNN_DATA_INT32, L.tt());
  g.pointwise(CUDNN_POINTWISE_GEN_INDEX, scaled, col, nullptr, nullptr, CUDNN_DATA_INT32, 3);
  auto keep = g.virt(CUDNN_DATA_BOOLEAN, L.tt());
  g.pointwise(CUDNN_POINTWISE_CMP_GE, row, keep, col, nullptr, CUDNN_DATA_BOOLEAN);
  auto masked = g.virt(CUDNN_DATA_FLOAT, L.tt());
  g.pointwise(CUDNN_POINTWISE_BINARY_SELECT, scaled, masked, mask_value, keep);
  return masked;
}

// Forward: O = softmax(mask(Q K^T * scale)) V, Stats = max + log(sum).
void build_forward(GraphBuilder& g, const Layout& L) {
  const auto bf = CUDNN_DATA_BFLOAT16, f32 = CUDNN_DATA_FLOAT;
  auto q = g.tensor(kQ, bf, L.q(), L.qkv_strides());
  auto kt = g.tensor(kKt, bf, L.kv_t(), L.qkv_t_strides());
  auto v = g.tensor(kV, bf, L.kv(), L.qkv_strides());
  auto o = g.tensor(kO, bf, L.q(), L.out_strides());
  auto stats = g.tensor(kStats, f32, L.row(), L.row_strides());
  auto scale = g.scalar(kScale);
  auto mask_value = g.scalar(kMaskValue);

  auto s = g.virt(f32, L.tt());
  g.matmul(q, kt, s);
  auto masked = scaled_causal_scores(g, L, s, scale, mask_value);
  auto mx = g.virt(f32, L.row());
  g.reduction(CUDNN_REDUCE_TENSOR_MAX, masked, mx);
  auto shifted = g.virt(f32, L.tt());
  g.pointwise(CUDNN_POINTWISE_SUB, masked, shifted, mx);
  auto e = g.virt(f32, L.tt());
  g.pointwise(CUDNN_POINTWISE_EXP, shifted, e);
  auto sum = g.virt(f32, L.row());
  g.reduction(CUDNN_REDUCE_TENSOR_ADD, e, sum);
  auto log_sum = g.virt(f32, L.row());
  g.pointwise(CUDNN_POINTWISE_LOG, sum, log_sum);
  g.pointwise(CUDNN_POINTWISE_ADD, mx, stats, log_sum);
  auto p = g.virt(bf, L.tt());  // the matmul wants both operands in one type
  g.pointwise(CUDNN_POINTWISE_DIV, e, p, sum);
  g.matmul(p, v, o);
}

// Backward, in the shape of cuDNN's own SDPA backward pattern (the fused engines match it):
// Delta = rowsum(dO O) * 1; P = exp(mask(Q K^T * scale) - Stats); dV = P^T dO;
// dS = P (dO V^T * 1 - Delta) * scale; dK = dS^T Q; dQ = dS K, K seen through a reshape of K^T.
// GQA: dV and dK come out per query head (virtual) and a reduction adds each group's heads.
void build_backward(GraphBuilder& g, const Layout& L) {
  const auto bf = CUDNN_DATA_BFLOAT16, f32 = CUDNN_DATA_FLOAT;
  auto q = g.tensor(kQ, bf, L.q(), L.qkv_strides());
  auto kt = g.tensor(kKt, bf, L.kv_t(), L.qkv_t_strides());
  auto vt = g.tensor(kVt, bf, L.kv_t(), L.qkv_t_strides());
  auto o = g.tensor(kO, bf, L.q(), L.out_strides());
  auto dout = g.tensor(kdO, bf, L.q(), L.out_strides());
  auto stats = g.tensor(kStats, f32, L.row(), L.row_strides());
  auto scale = g.scalar(kScale);
  auto mask_value = g.scalar(kMaskValue);
  auto one = g.scalar(kOne);
  auto dq = g.tensor(kdQ, bf, L.q(), L.qkv_strides());
  auto dk = g.tensor(kdK, bf, L.kv(), L.qkv_strides());
  auto dv = g.tensor(kdV, bf, L.kv(), L.qkv_strides());

  auto prod = g.virt(f32, L.q());
  g.pointwise(CUDNN_POINTWISE_MUL, dout, prod, o);
  auto row_sum = g.virt(f32, L.row());
  g.reduction(CUDNN_REDUCE_TENSOR_ADD, prod, row_sum);
  auto delta = g.virt(f32, L.row());
  g.pointwise(CUDNN_POINTWISE_MUL, row_sum, delta, one);

  auto s = g.virt(f32, L.tt());
  g.matmul(q, kt, s);
  auto masked = scaled_causal_scores(g, L, s, scale, mask_value);
  auto shifted = g.virt(f32, L.tt());
  g.pointwise(CUDNN_POINTWISE_SUB, masked, shifted, stats);
  auto p = g.virt(f32, L.tt());
  g.pointwise(CUDNN_POINTWISE_EXP, shifted, p);

  // Per query head first when K/V heads are shared, then summed over each group.
  auto per_head_or = [&](cudnnBackendDescriptor_t out) { return L.gqa() ? g.virt(bf, L.q()) : out; };
  auto p_t = g.virt(bf, L.tt(), L.tt_t_strides());
  g.reshape(p, p_t);
  auto dv_heads = per_head_or(dv);
  g.matmul(p_t, dout, dv_heads);
  if (L.gqa()) g.reduction(CUDNN_REDUCE_TENSOR_ADD, dv_heads, dv);

  auto dp = g.virt(f32, L.tt());
  g.matmul(dout, vt, dp);
  auto dp_kept = g.virt(f32, L.tt());
  g.pointwise(CUDNN_POINTWISE_MUL, dp, dp_kept, one);
  auto dp_centered = g.virt(f32, L.tt());
  g.pointwise(CUDNN_POINTWISE_SUB, dp_kept, dp_centered, delta);
  auto ds_unscaled = g.virt(f32, L.tt());
  g.pointwise(CUDNN_POINTWISE_MUL, dp_centered, ds_unscaled, p);
  auto ds = g.virt(f32, L.tt());
  g.pointwise(CUDNN_POINTWISE_MUL, ds_unscaled, ds, scale);

  auto ds_t = g.virt(bf, L.tt(), L.tt_t_strides());
  g.reshape(ds, ds_t);
  auto dk_heads = per_head_or(dk);
  g.matmul(ds_t, q, dk_heads);
  if (L.gqa()) g.reduction(CUDNN_REDUCE_TENSOR_ADD, dk_heads, dk);

  auto k = g.virt(bf, L.kv(), L.qkv_strides());
  g.reshape(kt, k);
  g.matmul(ds, k, dq);
}

void check_shape(const Layout& L) {
  if (L.B <= 0 || L.T <= 0 || L.H <= 0 || L.KVH <= 0 || L.D <= 0 || L.H % L.KVH != 0)
    fail("cuDNN attention: bad shape B={} T={} n_head={} n_kv_head={} head_dim={}", L.B, L.T, L.H, L.KVH, L.D);
  if (L.D % 8 != 0) fail("cuDNN attention needs head_dim a multiple of 8 (16-byte rows), not {}", L.D);
}

std::size_t round256(std::size_t n) { return (n + 255) / 256 * 256; }

}  // namespace

struct CudnnAttention::Graph {
  GraphBuilder builder;  // every descriptor the plan was built from
  Desc config_desc;      // the engine configuration the plan was finalised from, kept alive with it
  Desc plan;
  std::int64_t workspace = 0, engine = -1;
  std::int64_t config = 0, configs = 0;  // which heuristic result finalised, of how many
};

namespace {

// Heuristics mode A over a finalised operation graph, for the handle's GPU or (device_prop) a
// described one: the engine configurations that pass cuDNN's support checks, best first.
std::vector<Desc> heuristic_configs(cudnnBackendDescriptor_t op_graph, cudnnBackendDescriptor_t device_prop,
                                    std::int64_t& offered) {
  Desc heur(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR);
  const cudnnBackendHeurMode_t mode = CUDNN_HEUR_MODE_A;
  HERMES_CUDNN_SET(heur.get(), CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &op_graph);
  HERMES_CUDNN_SET(heur.get(), CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE, 1, &mode);
  if (device_prop != nullptr)
    HERMES_CUDNN_SET(heur.get(), CUDNN_ATTR_ENGINEHEUR_DEVICEPROP, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &device_prop);
  HERMES_CUDNN_GRAPH_CHECK(cudnnBackendFinalize(heur.get()));
  offered = 0;
  HERMES_CUDNN_GRAPH_CHECK(cudnnBackendGetAttribute(heur.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS,
                                                    CUDNN_TYPE_BACKEND_DESCRIPTOR, 0, &offered, nullptr));
  std::vector<Desc> configs;
  if (offered <= 0) return configs;
  std::vector<cudnnBackendDescriptor_t> raw;
  for (std::int64_t i = 0; i < offered; ++i) {
    configs.emplace_back(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR);
    raw.push_back(configs.back().get());
  }
  // Fewer may come back than were counted: cuDNN drops the ones its support checks refuse.
  std::int64_t got = 0;
  HERMES_CUDNN_GRAPH_CHECK(cudnnBackendGetAttribute(heur.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS,
                                                    CUDNN_TYPE_BACKEND_DESCRIPTOR, offered, &got, raw.data()));
  configs.resize(static_cast<std::size_t>(std::max<std::int64_t>(got, 0)));
  return configs;
}

// The first engine configuration whose execution plan finalises (kernels compiled and loaded)
// wins. Fails with the first refusal's reason when none does.
void make_plan(CudnnAttention::Graph& g, cudnnHandle_t handle, const char* what) {
  cudnnBackendDescriptor_t op_graph = g.builder.finalize(handle);
  std::int64_t offered = 0;
  std::vector<Desc> configs = heuristic_configs(op_graph, nullptr, offered);
  if (configs.empty())
    fail(
        "cuDNN's heuristics offer {} engine configurations for the {} graph and none passes cuDNN's support "
        "checks on this GPU (run with CUDNN_LOGLEVEL_DBG=2 CUDNN_LOGDEST_DBG=stderr for cuDNN's reasons)",
        offered, what);
  std::string first_refusal;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    cudnnBackendDescriptor_t cfg = configs[i].get();
    Desc plan(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR);
    HERMES_CUDNN_SET(plan.get(), CUDNN_ATTR_EXECUTION_PLAN_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle);
    HERMES_CUDNN_SET(plan.get(), CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &cfg);
    const cudnnStatus_t st = cudnnBackendFinalize(plan.get());
    if (st != CUDNN_STATUS_SUCCESS) {
      if (first_refusal.empty()) {
        char last[512] = {};
        cudnnGetLastErrorString(last, sizeof(last));
        first_refusal = fmt::format("{}{}{}", cudnnGetErrorString(st), last[0] != '\0' ? ": " : "", last);
      }
      continue;
    }
    std::int64_t n = 0;
    HERMES_CUDNN_GRAPH_CHECK(cudnnBackendGetAttribute(plan.get(), CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE,
                                                      CUDNN_TYPE_INT64, 1, &n, &g.workspace));
    // The engine's global index, for the log (best effort).
    Desc engine(CUDNN_BACKEND_ENGINE_DESCRIPTOR);
    cudnnBackendDescriptor_t e = engine.get();
    if (cudnnBackendGetAttribute(cfg, CUDNN_ATTR_ENGINECFG_ENGINE, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &n, &e) !=
            CUDNN_STATUS_SUCCESS ||
        cudnnBackendGetAttribute(e, CUDNN_ATTR_ENGINE_GLOBAL_INDEX, CUDNN_TYPE_INT64, 1, &n, &g.engine) !=
            CUDNN_STATUS_SUCCESS)
      g.engine = -1;
    g.config_desc = std::move(configs[i]);
    g.plan = std::move(plan);
    g.config = static_cast<std::int64_t>(i);
    g.configs = static_cast<std::int64_t>(configs.size());
    return;
  }
  fail("none of the {} engine configurations cuDNN offers for the {} graph builds a plan (first refusal: {})",
       configs.size(), what, first_refusal);
}

// One execution: a variant pack of (uid, pointer) pairs and the workspace; host-side only apart
// from the launch on the handle's stream, so it is safe inside CUDA-graph capture.
void execute(cudnnHandle_t handle, const CudnnAttention::Graph& g, void* workspace,
             std::initializer_list<std::pair<std::int64_t, const void*>> bindings) {
  std::vector<std::int64_t> uids;
  std::vector<void*> ptrs;
  for (const auto& [uid, ptr] : bindings) {
    uids.push_back(uid);
    ptrs.push_back(const_cast<void*>(ptr));
  }
  Desc pack(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR);
  HERMES_CUDNN_SET(pack.get(), CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, CUDNN_TYPE_INT64,
                   static_cast<std::int64_t>(uids.size()), uids.data());
  HERMES_CUDNN_SET(pack.get(), CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR,
                   static_cast<std::int64_t>(ptrs.size()), ptrs.data());
  HERMES_CUDNN_SET(pack.get(), CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR, 1, &workspace);
  HERMES_CUDNN_GRAPH_CHECK(cudnnBackendFinalize(pack.get()));
  HERMES_CUDNN_GRAPH_CHECK(cudnnBackendExecute(handle, g.plan.get(), pack.get()));
}

bool aligned16_ptr(const void* p) { return (reinterpret_cast<std::uintptr_t>(p) & 15u) == 0; }

}  // namespace

CudnnAttention::CudnnAttention(Context& ctx, Index B, Index T_len, Index H, Index KVH, Index D)
    : ctx_(ctx), B_(B), T_(T_len), H_(H), KVH_(KVH), D_(D) {
  const Layout L{B, T_len, H, KVH, D};
  check_shape(L);
  HERMES_CUDNN_GRAPH_CHECK(create_into(handle_, cudnnCreate));
  HERMES_CUDNN_GRAPH_CHECK(cudnnSetStream(handle_.get(), ctx.stream()));
  fwd_ = std::make_unique<Graph>();
  build_forward(fwd_->builder, L);
  make_plan(*fwd_, handle_.get(), "forward");
  bwd_ = std::make_unique<Graph>();
  build_backward(bwd_->builder, L);
  make_plan(*bwd_, handle_.get(), "backward");
  workspace_bytes_ = round256(static_cast<std::size_t>(std::max(fwd_->workspace, bwd_->workspace)));
  if (workspace_bytes_ > 0) workspace_.allocate(workspace_bytes_);
  std::snprintf(summary_, sizeof(summary_),
                "forward engine %lld (heuristic choice %lld of %lld), backward engine %lld (%lld of %lld), "
                "workspace %.1f MiB",
                static_cast<long long>(fwd_->engine), static_cast<long long>(fwd_->config + 1),
                static_cast<long long>(fwd_->configs), static_cast<long long>(bwd_->engine),
                static_cast<long long>(bwd_->config + 1), static_cast<long long>(bwd_->configs),
                static_cast<double>(workspace_bytes_) / (1 << 20));
}

CudnnAttention::~CudnnAttention() = default;

const char* CudnnAttention::summary() const { return summary_; }

void CudnnAttention::forward(bf16* out, float* stats, const bf16* qkv) {
  if (!aligned16_ptr(out) || !aligned16_ptr(stats) || !aligned16_ptr(qkv))
    fail("cuDNN attention forward: out, stats and qkv must be 16-byte aligned");
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D_)));
  const float mask_value = std::numeric_limits<float>::lowest();
  execute(handle_.get(), *fwd_, workspace_.data(),
          {{kQ, qkv},
           {kKt, qkv + H_ * D_},
           {kV, qkv + (H_ + KVH_) * D_},
           {kO, out},
           {kStats, stats},
           {kScale, &scale},
           {kMaskValue, &mask_value}});
}

void CudnnAttention::backward(bf16* dqkv, const bf16* dout, const bf16* qkv, const bf16* out, const float* stats) {
  if (!aligned16_ptr(dqkv) || !aligned16_ptr(dout) || !aligned16_ptr(qkv) || !aligned16_ptr(out) ||
      !aligned16_ptr(stats))
    fail("cuDNN attention backward: dqkv, dout, qkv, out and stats must be 16-byte aligned");
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D_)));
  const float mask_value = std::numeric_limits<float>::lowest(), one = 1.0f;
  execute(handle_.get(), *bwd_, workspace_.data(),
          {{kQ, qkv},
           {kKt, qkv + H_ * D_},
           {kVt, qkv + (H_ + KVH_) * D_},
           {kO, out},
           {kdO, dout},
           {kStats, stats},
           {kScale, &scale},
           {kMaskValue, &mask_value},
           {kOne, &one},
           {kdQ, dqkv},
           {kdK, dqkv + H_ * D_},
           {kdV, dqkv + (H_ + KVH_) * D_}});
}

SdpaGraphCounts check_cudnn_attention_graphs(Index B, Index T_len, Index H, Index KVH, Index D,
                                             const std::string& device_json) {
  const Layout L{B, T_len, H, KVH, D};
  check_shape(L);
  GraphBuilder fwd, bwd;
  build_forward(fwd, L);
  build_backward(bwd, L);
  SdpaGraphCounts counts;
  counts.forward_ops = fwd.op_count();
  counts.backward_ops = bwd.op_count();
  cudnnBackendDescriptor_t fwd_graph = fwd.finalize(nullptr), bwd_graph = bwd.finalize(nullptr);
  if (device_json.empty()) return counts;
  Desc device(CUDNN_BACKEND_DEVICEPROP_DESCRIPTOR);
  HERMES_CUDNN_SET(device.get(), CUDNN_ATTR_DEVICEPROP_JSON_REPRESENTATION, CUDNN_TYPE_CHAR,
                   static_cast<std::int64_t>(device_json.size() + 1), device_json.c_str());
  HERMES_CUDNN_GRAPH_CHECK(cudnnBackendFinalize(device.get()));
  counts.forward_engines =
      static_cast<std::int64_t>(heuristic_configs(fwd_graph, device.get(), counts.forward_offered).size());
  counts.backward_engines =
      static_cast<std::int64_t>(heuristic_configs(bwd_graph, device.get(), counts.backward_offered).size());
  return counts;
}

}  // namespace hermes::backend::cuda
