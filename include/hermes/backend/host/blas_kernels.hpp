#pragma once
// Which OpenBLAS kernels run, and a better choice when OpenBLAS did not know the CPU. A
// DYNAMIC_ARCH OpenBLAS (Debian's) picks its kernels by the CPU's family and model when it loads;
// on a CPU newer than the library (OpenBLAS 0.3.21 on Intel's family 6 model 207) it falls back to
// its Prescott (SSE3) kernels, and hermes trained 3.7x slower than with the AVX-512 kernels the
// CPU runs. OPENBLAS_CORETYPE overrides the choice; OpenBLAS reads it once, when it loads, so
// hermes sets it and restarts itself (Runtime::restart_for_this_machine).
#include <string>

namespace hermes::backend::host {

// What the CPU can run, as far as OpenBLAS's x86 kernel sets care.
struct CpuFeatures {
  bool avx2_fma = false;  // AVX2 and FMA: Haswell's kernels
  bool avx512 = false;    // AVX-512 F, BW, DQ, VL and CD: SkylakeX's kernels
};
CpuFeatures cpu_features();  // this CPU (none off x86-64)

// The kernel set OpenBLAS chose when it loaded ("SkylakeX", "Prescott").
std::string blas_kernels();

// The kernel set to ask for instead of `chosen`, when `chosen` has no AVX2 kernels but the CPU
// runs them: "SkylakeX" or "Haswell". Empty when the choice stands.
std::string better_blas_kernels(const std::string& chosen, const CpuFeatures& cpu);

// For the start-up log: "OpenBLAS 0.3.21 with SkylakeX kernels", and ", set by hermes (OpenBLAS
// chose Prescott on this CPU)" when hermes chose them.
std::string describe_blas();

// Set in a program hermes restarted with OPENBLAS_CORETYPE: the kernels OpenBLAS had chosen.
inline constexpr const char* kBlasRestartMarker = "HERMES_SET_OPENBLAS_CORETYPE";

}  // namespace hermes::backend::host
