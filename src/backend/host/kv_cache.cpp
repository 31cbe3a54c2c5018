#include "hermes/backend/host/kv_cache.hpp"

#include <cmath>

namespace hermes::backend::host {

template <class T>
void rope_at_forward(T* qkv, const T* cos_table, const T* sin_table, const std::int32_t* pos, Index R, Index H,
                     Index KVH, Index D) {
  const Index W = (H + 2 * KVH) * D, half = D / 2, heads = H + KVH;  // q heads then k heads
  Kokkos::parallel_for(
      "kv_cache::rope_at", Range(0, R * heads), KOKKOS_LAMBDA(const Index i) {
        const Index r = i / heads, h = i % heads;
        T* x = qkv + r * W + h * D;
        const T* cs = cos_table + static_cast<Index>(pos[r]) * half;
        const T* sn = sin_table + static_cast<Index>(pos[r]) * half;
        for (Index j = 0; j < half; ++j) {
          const T a = x[j], b = x[j + half];
          x[j] = a * cs[j] - b * sn[j];
          x[j + half] = a * sn[j] + b * cs[j];
        }
      });
}

template <class T>
void kv_cache_write(T* k_cache, T* v_cache, const T* qkv, const std::int32_t* slot, const std::int32_t* pos, Index R,
                    Index L, Index H, Index KVH, Index D) {
  const Index W = (H + 2 * KVH) * D, KD = KVH * D;
  Kokkos::parallel_for(
      "kv_cache::write", Range(0, R), KOKKOS_LAMBDA(const Index r) {
        const Index at = (static_cast<Index>(slot[r]) * L + pos[r]) * KD;
        const T* k = qkv + r * W + H * D;
        for (Index i = 0; i < KD; ++i) {
          k_cache[at + i] = k[i];
          v_cache[at + i] = k[KD + i];
        }
      });
}

template <class T>
void cached_attention_forward(T* out, T* scores, const T* qkv, const T* k_cache, const T* v_cache,
                              const std::int32_t* slot, const std::int32_t* pos, Index R, Index L, Index H, Index KVH,
                              Index D) {
  const Index W = (H + 2 * KVH) * D, C = H * D, KD = KVH * D, group = H / KVH;
  const T scale = static_cast<T>(1.0 / std::sqrt(static_cast<double>(D)));
  Kokkos::parallel_for(
      "kv_cache::attention", Range(0, R * H), KOKKOS_LAMBDA(const Index i) {
        const Index r = i / H, h = i % H, g = h / group, n = static_cast<Index>(pos[r]) + 1;
        const T* q = qkv + r * W + h * D;
        const T* kc = k_cache + static_cast<Index>(slot[r]) * L * KD + g * D;
        const T* vc = v_cache + static_cast<Index>(slot[r]) * L * KD + g * D;
        T* s = scores + i * L;
        T mx = 0;
        for (Index j = 0; j < n; ++j) {
          T dotp = 0;
          for (Index d = 0; d < D; ++d) dotp += q[d] * kc[j * KD + d];
          s[j] = dotp * scale;
          mx = j == 0 || s[j] > mx ? s[j] : mx;
        }
        T sum = 0;
        for (Index j = 0; j < n; ++j) {
          s[j] = k_exp(s[j] - mx);
          sum += s[j];
        }
        const T inv = T(1) / sum;
        T* o = out + r * C + h * D;
        for (Index d = 0; d < D; ++d) o[d] = 0;
        for (Index j = 0; j < n; ++j) {
          const T p = s[j] * inv;
          for (Index d = 0; d < D; ++d) o[d] += p * vc[j * KD + d];
        }
      });
}

#define HERMES_KV_INSTANTIATE(T)                                                                                   \
  template void rope_at_forward<T>(T*, const T*, const T*, const std::int32_t*, Index, Index, Index, Index);       \
  template void kv_cache_write<T>(T*, T*, const T*, const std::int32_t*, const std::int32_t*, Index, Index, Index, \
                                  Index, Index);                                                                   \
  template void cached_attention_forward<T>(T*, T*, const T*, const T*, const T*, const std::int32_t*,             \
                                            const std::int32_t*, Index, Index, Index, Index, Index);
HERMES_KV_INSTANTIATE(float)
HERMES_KV_INSTANTIATE(double)

}  // namespace hermes::backend::host
