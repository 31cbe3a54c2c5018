// The choice of OpenBLAS kernels when OpenBLAS did not know the CPU (blas_kernels.hpp).
#include <gtest/gtest.h>

#include <cstdlib>

#include "hermes/backend/host/blas_kernels.hpp"

using namespace hermes::backend::host;

TEST(BlasKernels, AnOlderChoiceOnAModernCpuIsReplaced) {
  const CpuFeatures avx512{true, true}, avx2{true, false};
  // OpenBLAS 0.3.21 on family 6 model 207 chose Prescott.
  EXPECT_EQ(better_blas_kernels("Prescott", avx512), "SkylakeX");
  EXPECT_EQ(better_blas_kernels("Prescott", avx2), "Haswell");
  EXPECT_EQ(better_blas_kernels("Sandybridge", avx2), "Haswell");
  EXPECT_EQ(better_blas_kernels("Nehalem", avx512), "SkylakeX");
}

TEST(BlasKernels, AModernChoiceOrAnOldCpuStands) {
  const CpuFeatures avx512{true, true}, none{};
  for (const char* kernels : {"Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids", "HASWELL"})
    EXPECT_EQ(better_blas_kernels(kernels, avx512), "") << kernels;
  EXPECT_EQ(better_blas_kernels("Prescott", none), "");  // the CPU has no AVX2: Prescott is right
  EXPECT_EQ(better_blas_kernels("", avx512), "");
}

TEST(BlasKernels, ThisProcessRunsKernelsItsCpuDoesNotOutgrow) {
  // Test binaries restart themselves like hermes (test_main.cpp), unless the user chose.
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr && std::getenv(kBlasRestartMarker) == nullptr)
    GTEST_SKIP() << "OPENBLAS_CORETYPE set by the user";
  EXPECT_FALSE(blas_kernels().empty());
  EXPECT_EQ(better_blas_kernels(blas_kernels(), cpu_features()), "") << "OpenBLAS chose " << blas_kernels();
  EXPECT_NE(describe_blas().find(blas_kernels() + " kernels"), std::string::npos) << describe_blas();
}
