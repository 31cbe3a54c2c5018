#include "hermes/backend/host/blas_kernels.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

extern "C" char* openblas_get_corename(void);
extern "C" char* openblas_get_config(void);

namespace hermes::backend::host {

CpuFeatures cpu_features() {
  CpuFeatures f;
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  f.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  f.avx512 = f.avx2_fma && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512cd");
#endif
  return f;
}

std::string blas_kernels() {
  const char* name = openblas_get_corename();
  return name ? name : "";
}

std::string better_blas_kernels(const std::string& chosen, const CpuFeatures& cpu) {
  if (chosen.empty() || !cpu.avx2_fma) return "";
  std::string lower = chosen;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  // OpenBLAS's x86 kernel sets with AVX2 or better; every other one is older than the CPU.
  static constexpr std::array<const char*, 5> kModern = {"haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"};
  if (std::find(kModern.begin(), kModern.end(), lower) != kModern.end()) return "";
  return cpu.avx512 ? "SkylakeX" : "Haswell";
}

std::string describe_blas() {
  // "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ...": the first two words name the library.
  const char* built = openblas_get_config();
  const std::string config = built ? built : "OpenBLAS";
  const auto first_space = config.find(' ');
  const auto second_space = first_space == std::string::npos ? first_space : config.find(' ', first_space + 1);
  std::string text = fmt::format("{} with {} kernels", config.substr(0, second_space), blas_kernels());
  if (const char* chosen = std::getenv(kBlasRestartMarker))
    text += fmt::format(", set by hermes (OpenBLAS chose {} on this CPU)", chosen);
  return text;
}

}  // namespace hermes::backend::host
