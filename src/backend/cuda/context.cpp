#include "hermes/backend/cuda/context.cuh"

#include "hermes/backend/cuda/gemm_mapping.hpp"
#include "hermes/core/error.hpp"

namespace hermes::backend::cuda {

struct Context::Plan {
  Owned<cublasLtMatmulDesc_t, cublasLtMatmulDescDestroy> desc;
  Owned<cublasLtMatrixLayout_t, cublasLtMatrixLayoutDestroy> a, b, c;
  cublasLtMatmulAlgo_t algo{};
};

Context::Context(int device, std::size_t workspace_bytes) : device_(device), workspace_bytes_(workspace_bytes) {
  HERMES_CUDA_CHECK(cudaSetDevice(device));
  HERMES_CUDA_CHECK(cudaDeviceGetAttribute(&sms_, cudaDevAttrMultiProcessorCount, device));
  HERMES_CUDA_CHECK(create_into(stream_, cudaStreamCreateWithFlags, cudaStreamNonBlocking));
  HERMES_CUBLAS_CHECK(create_into(cublas_, cublasCreate));
  HERMES_CUBLAS_CHECK(create_into(lt_, cublasLtCreate));
  workspace_.allocate(workspace_bytes_);
  HERMES_CUBLAS_CHECK(cublasSetStream(cublas(), stream()));
  HERMES_CUBLAS_CHECK(cublasSetWorkspace(cublas(), workspace_.data(), workspace_bytes_));
  HERMES_CUBLAS_CHECK(cublasSetMathMode(cublas(), CUBLAS_DEFAULT_MATH));
}

Context::~Context() = default;

namespace {
int alignment(const void* p) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  int al = 256;
  while (al > 1 && a % al != 0) al /= 2;
  return al;
}
cublasOperation_t op(bool transpose) { return transpose ? CUBLAS_OP_T : CUBLAS_OP_N; }
cublasLtEpilogue_t to_lt(Epilogue e) {
  switch (e) {
    case Epilogue::none: return CUBLASLT_EPILOGUE_DEFAULT;
    case Epilogue::bias: return CUBLASLT_EPILOGUE_BIAS;
    case Epilogue::gelu_bias: return CUBLASLT_EPILOGUE_GELU_AUX_BIAS;
    case Epilogue::gelu: return CUBLASLT_EPILOGUE_GELU_AUX;
    case Epilogue::dgelu: return CUBLASLT_EPILOGUE_DGELU;
  }
  return CUBLASLT_EPILOGUE_DEFAULT;
}
template <class T>
void set_attr(cublasLtMatmulDesc_t d, cublasLtMatmulDescAttributes_t attr, const T& value) {
  HERMES_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(d, attr, &value, sizeof(value)));
}
}  // namespace

// The epilogue's pointers are set before the heuristic query too (they are part of what the
// heuristic sees), and again on every call.
Context::Plan& Context::plan(const Key& key, const void* bias, void* aux) {
  auto it = plans_.find(key);
  if (it != plans_.end()) return *it->second;
  const auto [ta, tb, m, n, k, lda, ldb, ldc, c_type, ep, ldaux, al_a, al_b, al_c] = key;
  auto p = std::make_unique<Plan>();
  HERMES_CUBLAS_CHECK(create_into(p->desc, cublasLtMatmulDescCreate, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  // Column-major view (gemm_mapping.hpp): Lt's A is our B, Lt's B is our A, D is C^T (n, m).
  const ColumnMajorGemm g = column_major_gemm(ta, tb, m, n, k, lda, ldb, ldc);
  const cublasOperation_t op_a = op(g.a.transpose), op_b = op(g.b.transpose);
  set_attr(p->desc.get(), CUBLASLT_MATMUL_DESC_TRANSA, op_a);
  set_attr(p->desc.get(), CUBLASLT_MATMUL_DESC_TRANSB, op_b);
  const cublasLtEpilogue_t epi = to_lt(static_cast<Epilogue>(ep));
  set_attr(p->desc.get(), CUBLASLT_MATMUL_DESC_EPILOGUE, epi);
  if (static_cast<Epilogue>(ep) != Epilogue::none && static_cast<Epilogue>(ep) != Epilogue::bias) {
    const std::int64_t ld = ldaux;
    set_attr(p->desc.get(), CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_LD, ld);
  }
  if (static_cast<Epilogue>(ep) == Epilogue::bias || static_cast<Epilogue>(ep) == Epilogue::gelu_bias) {
    const cudaDataType_t bt = CUDA_R_16BF;
    set_attr(p->desc.get(), CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, bt);
    set_attr(p->desc.get(), CUBLASLT_MATMUL_DESC_BIAS_POINTER, bias);
  }
  if (aux != nullptr) set_attr(p->desc.get(), CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER, aux);
  HERMES_CUBLAS_CHECK(create_into(p->a, cublasLtMatrixLayoutCreate, CUDA_R_16BF, g.a.rows, g.a.cols, g.a.ld));
  HERMES_CUBLAS_CHECK(create_into(p->b, cublasLtMatrixLayoutCreate, CUDA_R_16BF, g.b.rows, g.b.cols, g.b.ld));
  HERMES_CUBLAS_CHECK(
      create_into(p->c, cublasLtMatrixLayoutCreate, static_cast<cudaDataType_t>(c_type), g.d_rows, g.d_cols, g.ldd));
  Owned<cublasLtMatmulPreference_t, cublasLtMatmulPreferenceDestroy> preference;
  HERMES_CUBLAS_CHECK(create_into(preference, cublasLtMatmulPreferenceCreate));
  cublasLtMatmulPreference_t pref = preference.get();
  const std::uint64_t ws = workspace_bytes_;
  HERMES_CUBLAS_CHECK(
      cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws)));
  // Lt's A is our B and vice versa; D is written in place of C.
  const std::uint32_t a_al = static_cast<std::uint32_t>(al_b), b_al = static_cast<std::uint32_t>(al_a),
                      c_al = static_cast<std::uint32_t>(al_c);
  HERMES_CUBLAS_CHECK(
      cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &a_al, sizeof(a_al)));
  HERMES_CUBLAS_CHECK(
      cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &b_al, sizeof(b_al)));
  HERMES_CUBLAS_CHECK(
      cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &c_al, sizeof(c_al)));
  HERMES_CUBLAS_CHECK(
      cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &c_al, sizeof(c_al)));
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  const cublasStatus_t st = cublasLtMatmulAlgoGetHeuristic(lt(), p->desc.get(), p->a.get(), p->b.get(), p->c.get(),
                                                           p->c.get(), pref, 1, &result, &found);
  if (st != CUBLAS_STATUS_SUCCESS || found == 0)
    fail(
        "cuBLASLt has no algorithm for a GEMM m={} n={} k={} (trans_a={}, trans_b={}, epilogue {}, output type {}): "
        "check that leading dimensions are multiples of 8 and that the GPU supports bf16 (sm_80 or newer)",
        m, n, k, ta, tb, ep, c_type);
  p->algo = result.algo;
  return *plans_.emplace(key, std::move(p)).first->second;
}

void Context::gemm(bool ta, bool tb, Index m, Index n, Index k, float alpha, const bf16* a, Index lda, const bf16* b,
                   Index ldb, float beta, void* c, cudaDataType_t c_type, Index ldc, Epilogue epilogue,
                   const bf16* bias, bf16* aux, Index ldaux) {
  if (m == 0 || n == 0) return;
  Plan& p = plan(Key{ta, tb, m, n, k, lda, ldb, ldc, static_cast<int>(c_type), static_cast<int>(epilogue), ldaux,
                     alignment(a), alignment(b), alignment(c)},
                 bias, aux);
  if (epilogue == Epilogue::bias || epilogue == Epilogue::gelu_bias)
    set_attr(p.desc.get(), CUBLASLT_MATMUL_DESC_BIAS_POINTER, bias);
  if (epilogue == Epilogue::gelu_bias || epilogue == Epilogue::gelu || epilogue == Epilogue::dgelu)
    set_attr(p.desc.get(), CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER, static_cast<void*>(aux));
  HERMES_CUBLAS_CHECK(cublasLtMatmul(lt(), p.desc.get(), &alpha, b, p.a.get(), a, p.b.get(), &beta, c, p.c.get(), c,
                                     p.c.get(), &p.algo, workspace_.data(), workspace_bytes_, stream()));
}

void Context::gemm_batched(bool ta, bool tb, Index m, Index n, Index k, float alpha, const bf16* a, Index lda,
                           Index stride_a, const bf16* b, Index ldb, Index stride_b, float beta, bf16* c, Index ldc,
                           Index stride_c, Index batch) {
  const ColumnMajorGemm g = column_major_gemm(ta, tb, m, n, k, lda, ldb, ldc);
  HERMES_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
      cublas(), op(g.a.transpose), op(g.b.transpose), static_cast<int>(g.m), static_cast<int>(g.n),
      static_cast<int>(g.k), &alpha, b, CUDA_R_16BF, static_cast<int>(g.a.ld), stride_b, a, CUDA_R_16BF,
      static_cast<int>(g.b.ld), stride_a, &beta, c, CUDA_R_16BF, static_cast<int>(g.ldd), stride_c,
      static_cast<int>(batch), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

void Context::sgemm(bool ta, bool tb, Index m, Index n, Index k, float alpha, const float* a, Index lda, const float* b,
                    Index ldb, float beta, float* c, Index ldc) {
  const ColumnMajorGemm g = column_major_gemm(ta, tb, m, n, k, lda, ldb, ldc);
  HERMES_CUBLAS_CHECK(cublasGemmEx(
      cublas(), op(g.a.transpose), op(g.b.transpose), static_cast<int>(g.m), static_cast<int>(g.n),
      static_cast<int>(g.k), &alpha, b, CUDA_R_32F, static_cast<int>(g.a.ld), a, CUDA_R_32F, static_cast<int>(g.b.ld),
      &beta, c, CUDA_R_32F, static_cast<int>(g.ldd), CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_GEMM_DEFAULT));
}

}  // namespace hermes::backend::cuda
