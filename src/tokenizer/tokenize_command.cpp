#include "hermes/tokenizer/tokenize_command.hpp"

#include <fstream>
#include <limits>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "hermes/core/error.hpp"
#include "hermes/core/files.hpp"
#include "hermes/tokenizer/tokenizer.hpp"

namespace hermes::tokenizer {
namespace {

std::string ids_json(const std::vector<TokenId>& ids) {
  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  return out + "]";
}

std::vector<TokenId> parse_ids(const std::string& text, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not a JSON array of token ids ({})", where, e.what());
  }
  if (!j.is_array()) fail("{}: expected a JSON array of token ids", where);
  std::vector<TokenId> ids;
  for (std::size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_number_unsigned()) fail("{}: element [{}] is not a non-negative integer id", where, i);
    if (j[i].get<std::uint64_t>() > std::numeric_limits<TokenId>::max())
      fail("{}: element [{}] = {} is no token id (ids are below 2^32)", where, i, j[i].dump());
    ids.push_back(j[i].get<TokenId>());
  }
  return ids;
}

}  // namespace

int tokenize_command(const TokenizeRequest& r) {
  const int sources = (r.text ? 1 : 0) + (r.file.empty() ? 0 : 1) + (r.jsonl.empty() ? 0 : 1);
  if (sources != 1) fail("hermes tokenize: give exactly one of TEXT, --file or --jsonl");
  const Tokenizer tok = Tokenizer::load(r.tokenizer);
  if (!r.jsonl.empty()) {
    reject_special_file(r.jsonl, "give a JSONL file to --jsonl");
    std::ifstream in(r.jsonl, std::ios::binary);
    if (!in) fail("cannot open {}; check the --jsonl path", r.jsonl);
    std::string line;
    for (std::size_t n = 1; std::getline(in, line); ++n) {
      if (line.empty()) continue;
      const std::string where = fmt::format("{}:{}", r.jsonl, n);
      if (r.decode) {
        std::cout << nlohmann::json(tok.decode(parse_ids(line, where)))
                         .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                  << '\n';
        continue;
      }
      nlohmann::json rec;
      try {
        rec = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception& e) {
        fail("{}: not valid JSON ({}); fix or remove the record", where, e.what());
      }
      if (!rec.is_object() || !rec.contains(r.text_field) || !rec[r.text_field].is_string())
        fail("{}: no string field \"{}\"; pass --text-field", where, r.text_field);
      std::cout << ids_json(tok.encode(rec[r.text_field].get_ref<const std::string&>())) << '\n';
    }
    return 0;
  }
  const std::string input = r.text ? *r.text : read_file(r.file, "--file", "check the --file path");
  if (r.decode)
    std::cout << tok.decode(parse_ids(input, r.text ? "the TEXT argument" : r.file));
  else
    std::cout << ids_json(tok.encode(input)) << '\n';
  std::cout.flush();
  return 0;
}

}  // namespace hermes::tokenizer
