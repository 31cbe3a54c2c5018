// parallel.backend resolution: what a CPU build (or a CUDA build on a machine without a GPU)
// answers, and that asking for CUDA where there is none is a clear error, never a silent host run.
#include <gtest/gtest.h>

#include "hermes/backend/select.hpp"
#include "hermes/core/error.hpp"

namespace b = hermes::backend;

TEST(BackendSelect, HostIsAlwaysHost) { EXPECT_EQ(b::resolve("host"), b::Kind::host); }

TEST(BackendSelect, AutoPicksCudaOnlyWithBuildAndDevice) {
  const bool cuda = b::built_with_cuda() && b::visible_gpus() > 0;
  EXPECT_EQ(b::resolve("auto"), cuda ? b::Kind::cuda : b::Kind::host);
}

TEST(BackendSelect, CudaWithoutBuildOrDeviceIsAnErrorNamingTheKey) {
  if (b::built_with_cuda() && b::visible_gpus() > 0) GTEST_SKIP() << "a GPU is visible: cuda resolves";
  try {
    b::resolve("cuda");
    FAIL() << "expected hermes::Error";
  } catch (const hermes::Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("parallel.backend"), std::string::npos) << m;
    EXPECT_NE(m.find(b::built_with_cuda() ? "no CUDA GPU" : "built without CUDA"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << "one line";
  }
}

TEST(BackendSelect, UnknownNameIsAnError) { EXPECT_THROW(b::resolve("tpu"), hermes::Error); }
