#pragma once
// Seeded, platform-independent randomness for data work. std::shuffle and the std distributions
// are implementation-defined, so splits, permutations and the synthetic corpus use these instead:
// the same seed gives the same bytes with any compiler and standard library.
#include <cstdint>
#include <string_view>

namespace hermes::data {

// SplitMix64 finalizer: a bijective 64-bit mixer.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A child seed for a named purpose ("split", "synth", ...) or an index, from a parent seed.
constexpr std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t salt) { return mix64(seed ^ mix64(salt)); }
constexpr std::uint64_t hash_text(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64
  for (char c : text) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return h;
}
constexpr std::uint64_t derive_seed(std::uint64_t seed, std::string_view purpose) {
  return derive_seed(seed, hash_text(purpose));
}

// A small generator (SplitMix64 stream) with unbiased bounded draws.
class Rng {
 public:
  explicit constexpr Rng(std::uint64_t seed) : state_(seed) {}
  constexpr std::uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), n > 0, by rejection (no modulo bias).
  constexpr std::uint64_t below(std::uint64_t n) {
    const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
    std::uint64_t x = next();
    while (x >= limit) x = next();
    return x % n;
  }
  // Uniform integer in [lo, hi].
  constexpr std::int64_t range(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo) + 1));
  }
  // Uniform in [0, 1) with 53 bits.
  constexpr double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  template <class Container>
  constexpr const auto& pick(const Container& c) {
    return c[below(c.size())];
  }

 private:
  std::uint64_t state_;
};

}  // namespace hermes::data
