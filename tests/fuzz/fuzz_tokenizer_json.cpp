// tokenizer.json loading; a file that loads must then encode and decode without failing.
#include "harness.hpp"
#include "hermes/tokenizer/tokenizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& path = hermes::fuzz::write_scratch(data, size, "-tokenizer.json");
  hermes::fuzz::expect_clean([&] {
    const auto tok = hermes::tokenizer::Tokenizer::load(path);
    const std::string text = "Hello, world! 123 <|endoftext|> caf\xc3\xa9 \xff";
    const auto ids = tok.encode(text);
    tok.decode(ids);
    for (const auto id : ids) tok.id_to_token(id);
  });
  return 0;
}
