#pragma once
// A deterministic synthetic corpus for trainer tests: words of a small alphabet drawn with a
// skewed (roughly Zipf) frequency, so that counts repeat and many merges tie, plus digits,
// punctuation and multi-byte characters. No randomness from the library: a fixed LCG.
#include <cstdint>
#include <string>
#include <vector>

namespace hermes::test {

inline std::string synthetic_words(std::size_t lines, std::uint64_t seed = 7) {
  std::uint64_t s = seed;
  auto next = [&] {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::uint32_t>(s >> 33);
  };
  const std::vector<std::string> letters = {"a", "e", "i", "o", "u", "t", "n",  "s",
                                            "r", "l", "k", "m", "é", "ß", "字", "🙂"};
  std::vector<std::string> lexicon;
  for (int w = 0; w < 3000; ++w) {
    std::string word;
    const int len = 1 + static_cast<int>(next() % 9);
    for (int i = 0; i < len; ++i) word += letters[next() % (next() % 4 == 0 ? letters.size() : 12)];
    lexicon.push_back(word);
  }
  std::string out;
  for (std::size_t l = 0; l < lines; ++l) {
    const int words = 3 + static_cast<int>(next() % 12);
    for (int i = 0; i < words; ++i) {
      // Skewed pick: the minimum of two uniform draws favours low indices.
      const std::size_t a = next() % lexicon.size(), b = next() % lexicon.size();
      if (i) out += next() % 16 == 0 ? ", " : " ";
      out += lexicon[std::min(a, b) % (1 + next() % lexicon.size())];
      if (next() % 32 == 0) out += std::to_string(next() % 1000);
    }
    out += next() % 8 == 0 ? ".\n" : "\n";
  }
  return out;
}

}  // namespace hermes::test
