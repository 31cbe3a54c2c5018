#pragma once
// Number formats that models are exchanged in: IEEE half, bfloat16 and GGML's Q8_0 blocks.
// Conversions round to nearest even, as PyTorch and GGML do, so a tensor written here has the
// same bits as the same tensor converted by those tools.
#include <cmath>
#include <cstdint>
#include <cstring>

namespace hermes::interop {

inline std::uint32_t float_bits(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
}
inline float bits_float(std::uint32_t u) {
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}

inline std::uint16_t to_bf16(float x) {
  const std::uint32_t u = float_bits(x);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((u >> 16) | 0x40);  // quiet NaN
  return static_cast<std::uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
inline float from_bf16(std::uint16_t h) { return bits_float(static_cast<std::uint32_t>(h) << 16); }

inline std::uint16_t to_f16(float x) {
  const std::uint32_t u = float_bits(x);
  const std::uint32_t sign = (u >> 16) & 0x8000u;
  const std::uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7e00u);   // NaN
  if (a >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds to >= 65520: inf
  if (a < 0x38800000u) {
    // Below the smallest normal half (2^-14): a subnormal, rounded to nearest even in units of 2^-24.
    const float f = bits_float(a) * 16777216.0f;  // exact: scales by 2^24
    return static_cast<std::uint16_t>(sign | static_cast<std::uint32_t>(std::nearbyint(f)));
  }
  // Normal: rebias the exponent (127 -> 15) and round the 23-bit mantissa to 10 bits.
  const std::uint32_t rounded = a + 0xfffu + ((a >> 13) & 1u);
  return static_cast<std::uint16_t>(sign | ((rounded - 0x38000000u) >> 13));
}
inline float from_f16(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
  if (exp == 0) {
    const float f = static_cast<float>(man) / 16777216.0f;  // subnormal: man * 2^-24
    return bits_float(float_bits(f) | sign);
  }
  if (exp == 31) return bits_float(sign | 0x7f800000u | (man << 13));
  return bits_float(sign | ((exp + 112) << 23) | (man << 13));
}

// GGML Q8_0: blocks of 32 values, each an fp16 scale d = max|x| / 127 and 32 int8 q = round(x / d).
inline constexpr int kQ8Block = 32;
inline constexpr int kQ8BlockBytes = 2 + kQ8Block;
// Quantizes n values (n a multiple of 32) into out (n / 32 * 34 bytes).
inline void quantize_q8_0(const float* x, std::int64_t n, std::uint8_t* out) {
  for (std::int64_t b = 0; b < n / kQ8Block; ++b, x += kQ8Block, out += kQ8BlockBytes) {
    float amax = 0;
    for (int j = 0; j < kQ8Block; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const std::uint16_t dh = to_f16(d);
    std::memcpy(out, &dh, 2);
    for (int j = 0; j < kQ8Block; ++j)
      out[2 + j] = static_cast<std::uint8_t>(static_cast<std::int8_t>(std::round(x[j] * id)));
  }
}
inline void dequantize_q8_0(const std::uint8_t* in, std::int64_t n, float* x) {
  for (std::int64_t b = 0; b < n / kQ8Block; ++b, x += kQ8Block, in += kQ8BlockBytes) {
    std::uint16_t dh;
    std::memcpy(&dh, in, 2);
    const float d = from_f16(dh);
    for (int j = 0; j < kQ8Block; ++j) x[j] = d * static_cast<float>(static_cast<std::int8_t>(in[2 + j]));
  }
}

}  // namespace hermes::interop
