#pragma once
// Helpers for the CUDA tests: the fixture they share (GpuTest, at the end), bf16 rounding on the
// host (round to nearest even, as __float2bfloat16), device buffers poisoned with NaN (0xFF
// bytes) before an op runs, and the normalised error ||gpu - host|| / ||host|| the comparisons
// use (test-backend-ops style).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "hermes/backend/cuda/buffer.cuh"
#include "hermes/backend/cuda/common.cuh"
#include "hermes/backend/cuda/context.cuh"

namespace hermes::testing::gpu {

namespace cu = hermes::backend::cuda;

inline std::uint16_t bf16_bits(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;  // NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<std::uint16_t>(u >> 16);
}
inline float bf16_value(std::uint16_t b) {
  const std::uint32_t u = static_cast<std::uint32_t>(b) << 16;
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}
inline float round_bf16(float x) { return bf16_value(bf16_bits(x)); }

// Normal values already representable in bf16, so host and device start from the same numbers.
inline std::vector<float> randn_bf16(std::size_t n, std::uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = round_bf16(d(rng));
  return v;
}
inline std::vector<float> randn_f32(std::size_t n, std::uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// A device buffer of T (cu::bf16, float, int32, uint8, double), NaN-poisoned at birth.
template <class T>
class Buf {
 public:
  explicit Buf(std::size_t n) : mem_(n), n_(n), p_(mem_.data()) { poison(); }
  template <class U>
  explicit Buf(const std::vector<U>& host) : Buf(host.size()) {
    upload(host);
  }
  T* get() { return p_; }
  std::size_t size() const { return n_; }
  // Poison and upload finish before they return: the ops run on the Context's non-blocking stream,
  // which does not wait for work on the legacy default stream (cudaMemset is asynchronous, and a
  // pageable cudaMemcpy may return before its DMA lands), so without the sync an op could race
  // with its own inputs' upload or have its output re-poisoned after it wrote it.
  void poison() {
    HERMES_CUDA_CHECK(cudaMemset(p_, 0xff, std::max<std::size_t>(n_, 1) * sizeof(T)));
    HERMES_CUDA_CHECK(cudaDeviceSynchronize());
  }

  template <class U>
  void upload(const std::vector<U>& host) {
    EXPECT_EQ(host.size(), n_);
    if constexpr (std::is_same_v<T, cu::bf16>) {
      std::vector<std::uint16_t> bits(n_);
      for (std::size_t i = 0; i < n_; ++i) bits[i] = bf16_bits(static_cast<float>(host[i]));
      HERMES_CUDA_CHECK(cudaMemcpy(p_, bits.data(), n_ * 2, cudaMemcpyHostToDevice));
    } else {
      std::vector<T> tmp(host.begin(), host.end());
      HERMES_CUDA_CHECK(cudaMemcpy(p_, tmp.data(), n_ * sizeof(T), cudaMemcpyHostToDevice));
    }
    HERMES_CUDA_CHECK(cudaDeviceSynchronize());
  }
  // As float (bf16 widened); synchronises the device first.
  std::vector<float> download() const {
    HERMES_CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<float> out(n_);
    if constexpr (std::is_same_v<T, cu::bf16>) {
      std::vector<std::uint16_t> bits(n_);
      HERMES_CUDA_CHECK(cudaMemcpy(bits.data(), p_, n_ * 2, cudaMemcpyDeviceToHost));
      for (std::size_t i = 0; i < n_; ++i) out[i] = bf16_value(bits[i]);
    } else {
      std::vector<T> tmp(n_);
      HERMES_CUDA_CHECK(cudaMemcpy(tmp.data(), p_, n_ * sizeof(T), cudaMemcpyDeviceToHost));
      for (std::size_t i = 0; i < n_; ++i) out[i] = static_cast<float>(tmp[i]);
    }
    return out;
  }

 private:
  cu::DeviceBuffer<T> mem_;  // the owner; Buf moves, never copies
  std::size_t n_;
  T* p_;
};

// Every element written (no NaN poison left) and ||got - want|| <= tol ||want||.
inline void expect_close(const char* what, const std::vector<float>& got, const std::vector<float>& want, double tol) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double num = 0, den = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(std::isfinite(got[i])) << what << "[" << i << "] not written (poison left) or not finite";
    const double d = static_cast<double>(got[i]) - want[i];
    num += d * d;
    den += static_cast<double>(want[i]) * want[i];
  }
  const double err = std::sqrt(num) / std::max(std::sqrt(den), 1e-30);
  EXPECT_LE(err, tol) << what << ": normalised error " << err;
}

// bf16 tolerances: one rounding of the output is ~2^-9 relative; GEMM sums and chained
// roundings (backward) get more room.
constexpr double kFwdTol = 1e-2;
constexpr double kBwdTol = 3e-2;

}  // namespace hermes::testing::gpu

// Skips (with a message) unless a GPU is visible.
#define HERMES_REQUIRE_GPU()                                                                               \
  do {                                                                                                     \
    if (::hermes::backend::cuda::device_count() == 0)                                                      \
      GTEST_SKIP() << "no CUDA GPU visible: the CUDA op tests need one (run them on the GPU machine, see " \
                      "benchmarks/README.md)";                                                             \
  } while (0)

namespace hermes::testing::gpu {

// The fixture of the CUDA tests: skips without a GPU, else owns a Context (stream, cuBLAS
// handles) on `device()`, device 0 unless a test overrides it. Tests run their ops on s().
class GpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HERMES_REQUIRE_GPU();
    ctx = std::make_unique<cu::Context>(device());
  }
  virtual int device() const { return 0; }
  cudaStream_t s() const { return ctx->stream(); }
  std::unique_ptr<cu::Context> ctx;
};
template <class Param>
class GpuTestWithParam : public GpuTest, public ::testing::WithParamInterface<Param> {};

}  // namespace hermes::testing::gpu
