// The deck parser and validator on arbitrary TOML, with and without a command-line override.
#include "harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = hermes::fuzz::as_text(data, size);
  hermes::fuzz::expect_clean([&] { hermes::deck::parse_deck(text, "fuzz.toml"); });
  // The input's first line as an override on the quickstart deck (overrides are parsed alone).
  const auto line = text.substr(0, text.find('\n'));
  hermes::fuzz::expect_clean(
      [&] { hermes::deck::parse_deck(hermes::deck::embedded_quickstart(), "quickstart", {std::string(line)}); });
  return 0;
}
