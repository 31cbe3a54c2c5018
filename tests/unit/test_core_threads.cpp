#include <gtest/gtest.h>

#include <cstdlib>

#include "hermes/core/error.hpp"
#include "hermes/core/threads.hpp"

using namespace hermes;

namespace {
// Sets an environment variable for one test and puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};
}  // namespace

TEST(CoreThreads, UnboundRanksSplitTheNodesCpus) {
  // 64 CPUs, no binding: 4 ranks get 16 each, 1 rank gets all 64, 100 ranks still get one each.
  EXPECT_EQ(threads::choose({64, 64}, 4, std::nullopt).threads, 16);
  EXPECT_EQ(threads::choose({64, 64}, 1, std::nullopt).threads, 64);
  EXPECT_EQ(threads::choose({64, 64}, 100, std::nullopt).threads, 1);
  EXPECT_NE(threads::choose({64, 64}, 4, std::nullopt).reason.find("64 online CPUs shared by 4 ranks"),
            std::string::npos);
}

TEST(CoreThreads, ABoundRankGetsTheCpusItIsBoundTo) {
  // One rank per 32-core socket on a 64-core node: the socket's cores, not half of them rounded.
  EXPECT_EQ(threads::choose({32, 64}, 2, std::nullopt).threads, 32);
  // Bound to one core: one thread even alone on the node.
  const auto one = threads::choose({1, 2}, 1, std::nullopt);
  EXPECT_EQ(one.threads, 1);
  EXPECT_NE(one.reason.find("the 1 CPU bound to this rank"), std::string::npos);
}

TEST(CoreThreads, TheUsersCountWins) {
  const auto policy = threads::choose({2, 2}, 2, threads::Request{8, "OMP_NUM_THREADS"});
  EXPECT_EQ(policy.threads, 8);
  EXPECT_EQ(policy.reason, "set by OMP_NUM_THREADS");
}

TEST(CoreThreads, OpenblasNumThreadsSetsBlasAlone) {
  const auto policy = threads::choose({4, 4}, 1, std::nullopt, threads::Request{1, "OPENBLAS_NUM_THREADS"});
  EXPECT_EQ(policy.threads, 4);
  EXPECT_EQ(policy.blas_threads, 1);
  EXPECT_NE(policy.reason.find("BLAS set by OPENBLAS_NUM_THREADS"), std::string::npos);
  EXPECT_EQ(threads::choose({4, 4}, 1, std::nullopt).blas_threads, 4);
}

TEST(CoreThreads, RequestsAreReadInKokkossOrder) {
  ScopedEnv kokkos("KOKKOS_NUM_THREADS", nullptr);
  ScopedEnv omp("OMP_NUM_THREADS", nullptr);
  const char* plain[] = {"hermes", "run"};
  EXPECT_FALSE(threads::requested(2, plain).has_value());
  {
    ScopedEnv set("OMP_NUM_THREADS", "6,2");  // nested levels: the outer one is the rank's
    ASSERT_TRUE(threads::requested(2, plain).has_value());
    EXPECT_EQ(threads::requested(2, plain)->threads, 6);
    ScopedEnv kk("KOKKOS_NUM_THREADS", "3");
    EXPECT_EQ(threads::requested(2, plain)->source, "KOKKOS_NUM_THREADS");
    const char* flag[] = {"hermes", "run", "--kokkos-num-threads=5"};
    const auto chosen = threads::requested(3, flag);
    EXPECT_EQ(chosen->threads, 5);
    EXPECT_EQ(chosen->source, "--kokkos-num-threads");
  }
}

TEST(CoreThreads, ANonsenseCountIsRefusedWithItsName) {
  ScopedEnv kokkos("KOKKOS_NUM_THREADS", nullptr);
  ScopedEnv omp("OMP_NUM_THREADS", "0");
  const char* plain[] = {"hermes", "run"};
  try {
    threads::requested(2, plain);
    FAIL() << "OMP_NUM_THREADS=0 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("OMP_NUM_THREADS=0 is not a thread count"), std::string::npos);
    EXPECT_EQ(e.exit_code(), kExitBadInput);
  }
  const char* flag[] = {"hermes", "run", "--kokkos-threads=two"};
  ScopedEnv unset("OMP_NUM_THREADS", nullptr);
  EXPECT_THROW(threads::requested(3, flag), Error);
}
