// tokenizer.json reader and writer (HuggingFace tokenizers format, byte-level BPE family).
// Every refusal names the file and the JSON path of the offending value.
#include <algorithm>
#include <fstream>
#include <sstream>

#include "hermes/core/error.hpp"
#include "hermes/core/files.hpp"
#include "hermes/tokenizer/byte_level.hpp"
#include "impl.hpp"

namespace hermes::tokenizer {

using json = nlohmann::json;           // parsing: std::map objects (ordered_json is quadratic on 100k-entry vocabs)
using ojson = nlohmann::ordered_json;  // writing: keys in HuggingFace's order

namespace {

[[noreturn]] void bad(const std::string& file, const std::string& path, const std::string& what) {
  throw Error(fmt::format("{}: {}: {}", file, path, what));
}

const json& member(const json& obj, const std::string& key, const std::string& path, const std::string& file) {
  if (!obj.is_object()) bad(file, path, "expected a JSON object");
  auto it = obj.find(key);
  if (it == obj.end())
    bad(file, path.empty() ? key : path + "." + key, "missing; this is not a HuggingFace tokenizer.json");
  return *it;
}

std::string join_path(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

bool flag(const json& obj, const std::string& key, bool fallback, const std::string& path, const std::string& file) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) bad(file, join_path(path, key), "expected true or false");
  return it->get<bool>();
}

std::string type_of(const json& j, const std::string& path, const std::string& file) {
  const json& t = member(j, "type", path, file);
  if (!t.is_string()) bad(file, join_path(path, "type"), "expected a string");
  return t.get<std::string>();
}

// Split patterns given as {"String": "..."} match literally.
std::string literal_regex(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

void add_steps(const json& j, const std::string& path, const std::string& file, std::vector<PreTokenizerStep>& steps) {
  const std::string type = type_of(j, path, file);
  if (type == "Sequence") {
    const json& list = member(j, "pretokenizers", path, file);
    if (!list.is_array()) bad(file, join_path(path, "pretokenizers"), "expected an array");
    for (std::size_t i = 0; i < list.size(); ++i)
      add_steps(list[i], fmt::format("{}.pretokenizers[{}]", path, i), file, steps);
  } else if (type == "ByteLevel") {
    PreTokenizerStep s;
    s.kind = PreTokenizerStep::Kind::byte_level;
    s.add_prefix_space = flag(j, "add_prefix_space", true, path, file);
    if (flag(j, "use_regex", true, path, file)) s.regex = byte_level_regex();
    steps.push_back(std::move(s));
  } else if (type == "Split") {
    const json& pattern = member(j, "pattern", path, file);
    std::string regex;
    if (pattern.is_object() && pattern.contains("Regex") && pattern["Regex"].is_string())
      regex = pattern["Regex"].get<std::string>();
    else if (pattern.is_object() && pattern.contains("String") && pattern["String"].is_string())
      regex = literal_regex(pattern["String"].get<std::string>());
    else
      bad(file, join_path(path, "pattern"), "expected {\"Regex\": \"...\"} or {\"String\": \"...\"}");
    const json& behavior = member(j, "behavior", path, file);
    PreTokenizerStep s;
    s.kind = PreTokenizerStep::Kind::split;
    if (!behavior.is_string() || !parse_split_behavior(behavior.get<std::string>(), s.behavior))
      bad(file, join_path(path, "behavior"),
          fmt::format("{} is not a Split behavior; use Isolated, Removed, MergedWithPrevious, MergedWithNext or "
                      "Contiguous",
                      behavior.dump()));
    s.invert = flag(j, "invert", false, path, file);
    try {
      s.regex = std::make_shared<const Regex>(regex);
    } catch (const Error& e) {
      bad(file, join_path(path, "pattern"), e.what());
    }
    steps.push_back(std::move(s));
  } else if (type == "Digits") {
    // SmolLM/StarCoder style: digits cut off the text, one by one or as runs (Rust's
    // char::is_numeric is Unicode N, as PCRE2's \p{N}).
    PreTokenizerStep s;
    s.kind = PreTokenizerStep::Kind::split;
    s.regex = std::make_shared<const Regex>(flag(j, "individual_digits", false, path, file) ? "\\p{N}" : "\\p{N}+");
    steps.push_back(std::move(s));
  } else {
    bad(file, join_path(path, "type"),
        fmt::format("pre-tokenizer \"{}\" is not supported; hermes supports ByteLevel, Split, Digits and Sequence",
                    type));
  }
}

ojson ordered(const json& j) { return ojson::parse(j.dump()); }

}  // namespace

PreTokenizer pretokenizer_from_json(const json& j, const std::string& path, const std::string& file) {
  std::vector<PreTokenizerStep> steps;
  if (!j.is_null()) add_steps(j, path, file, steps);
  return PreTokenizer(std::move(steps));
}

ojson pre_tokenizer_json_for_pattern(const std::string& pattern) {
  if (pattern == "gpt2")
    return ojson{{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
  std::string regex = pattern;
  if (pattern == "llama3") regex = std::string(kLlama3Pattern);
  if (pattern == "qwen2") regex = std::string(kQwen2Pattern);
  ojson split = {{"type", "Split"}, {"pattern", {{"Regex", regex}}}, {"behavior", "Isolated"}, {"invert", false}};
  ojson byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}};
  return ojson{{"type", "Sequence"}, {"pretokenizers", ojson::array({split, byte_level})}};
}

ojson byte_level_decoder_json() {
  return ojson{{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
}
ojson byte_level_post_processor_json() {
  return ojson{{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false}, {"use_regex", true}};
}

void load_json(Tokenizer::Impl& impl, const json& root, const std::string& file) {
  impl.source = file;
  if (!root.is_object()) bad(file, "(top level)", "expected a JSON object; this is not a HuggingFace tokenizer.json");

  // ---- model
  const json& model = member(root, "model", "", file);
  if (model.contains("type") && type_of(model, "model", file) != "BPE")
    bad(file, "model.type",
        fmt::format("\"{}\" is not supported; hermes supports byte-level \"BPE\"", model["type"].get<std::string>()));
  if (model.contains("dropout") && !model["dropout"].is_null() &&
      !(model["dropout"].is_number() && model["dropout"].get<double>() == 0.0))
    bad(file, "model.dropout", "BPE dropout is not supported; set it to null");
  if (flag(model, "byte_fallback", false, "model", file))
    bad(file, "model.byte_fallback",
        "true is not supported (that is SentencePiece-style BPE); byte-level BPE needs false");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    auto it = model.find(key);
    if (it != model.end() && !it->is_null() && !(it->is_string() && it->get<std::string>().empty()))
      bad(file, std::string("model.") + key, "a non-empty value is not supported; byte-level BPE uses null");
  }
  impl.ignore_merges = flag(model, "ignore_merges", false, "model", file);
  impl.extra_model_fields = ojson::object();
  if (model.contains("unk_token")) impl.extra_model_fields["unk_token"] = ordered(model["unk_token"]);

  const json& vocab = member(model, "vocab", "model", file);
  if (!vocab.is_object()) bad(file, "model.vocab", "expected an object mapping tokens to ids");
  std::size_t max_id = 0;
  std::vector<std::pair<std::string, TokenId>> entries;
  entries.reserve(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_unsigned() || it.value().get<std::uint64_t>() >= (1ULL << 31))
      bad(file, fmt::format("model.vocab[{}]", json(it.key()).dump()), "expected a non-negative integer id");
    const auto id = it.value().get<TokenId>();
    max_id = std::max<std::size_t>(max_id, id);
    entries.emplace_back(it.key(), id);
  }
  const json* added_list = nullptr;
  if (root.contains("added_tokens") && !root["added_tokens"].is_null()) {
    added_list = &root["added_tokens"];
    if (!added_list->is_array()) bad(file, "added_tokens", "expected an array");
    for (std::size_t i = 0; i < added_list->size(); ++i) {
      const json& a = (*added_list)[i];
      const std::string path = fmt::format("added_tokens[{}]", i);
      const json& id = member(a, "id", path, file);
      if (!id.is_number_unsigned() || id.get<std::uint64_t>() >= (1ULL << 31))
        bad(file, path + ".id", "expected a non-negative integer id");
      max_id = std::max<std::size_t>(max_id, id.get<TokenId>());
    }
  }
  // Ids index dense tables, so a few gaps are fine but an id far beyond the number of tokens the
  // file defines (damage, or an edit) would reserve gigabytes for nothing.
  const std::size_t defined = entries.size() + (added_list ? added_list->size() : 0);
  if (max_id >= defined + (std::size_t{1} << 20))
    bad(file, "model.vocab",
        fmt::format("the largest id is {} but the file defines {} tokens; ids must be close to "
                    "0..{} (it was probably damaged)",
                    max_id, defined, defined));
  const std::size_t size = (entries.empty() && !added_list) ? 0 : max_id + 1;
  impl.id_text.assign(size, {});
  impl.id_bytes.assign(size, {});
  impl.id_present.assign(size, false);
  impl.id_in_model.assign(size, false);
  impl.text_to_id.clear();
  auto bytes_of = [](const std::string& text) {
    auto b = byte_level::decode(text);
    return b ? std::move(*b) : text;  // HuggingFace's ByteLevel decoder falls back to the text itself
  };
  for (auto& [text, id] : entries) {
    if (impl.id_present[id])
      bad(file, fmt::format("model.vocab[{}]", json(text).dump()),
          fmt::format("id {} is also used by {}", id, json(impl.id_text[id]).dump()));
    impl.id_bytes[id] = bytes_of(text);
    impl.id_present[id] = impl.id_in_model[id] = true;
    impl.text_to_id.emplace(text, id);
    impl.id_text[id] = std::move(text);
  }
  impl.model_vocab_entries = entries.size();

  // ---- merges
  const json& merges = member(model, "merges", "model", file);
  if (!merges.is_array()) bad(file, "model.merges", "expected an array");
  impl.merges = PairMap();
  impl.merges.reserve(merges.size());
  impl.merge_list.clear();
  impl.merge_list.reserve(merges.size());
  std::string left, right;
  for (std::size_t i = 0; i < merges.size(); ++i) {
    const json& m = merges[i];
    if (m.is_string()) {
      const std::string& s = m.get_ref<const std::string&>();
      const auto space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
        bad(file, fmt::format("model.merges[{}]", i),
            fmt::format("{} is not two tokens separated by one space", m.dump()));
      left.assign(s, 0, space);
      right.assign(s, space + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      left = m[0].get<std::string>();
      right = m[1].get<std::string>();
    } else {
      bad(file, fmt::format("model.merges[{}]", i), "expected \"left right\" or [\"left\", \"right\"]");
    }
    auto find = [&](const std::string& t) {
      auto it = impl.text_to_id.find(t);
      if (it == impl.text_to_id.end() || !impl.id_in_model[it->second])
        bad(file, fmt::format("model.merges[{}]", i), fmt::format("token {} is not in model.vocab", json(t).dump()));
      return it->second;
    };
    const TokenId a = find(left), b = find(right), merged = find(left + right);
    impl.merges.insert(a, b, static_cast<std::uint32_t>(i), merged);
    impl.merge_list.push_back({a, b, merged});
  }

  // ---- added tokens
  impl.added.clear();
  if (added_list) {
    for (std::size_t i = 0; i < added_list->size(); ++i) {
      const json& a = (*added_list)[i];
      const std::string path = fmt::format("added_tokens[{}]", i);
      AddedToken t;
      t.id = a["id"].get<TokenId>();
      const json& content = member(a, "content", path, file);
      if (!content.is_string() || content.get<std::string>().empty())
        bad(file, path + ".content", "expected a non-empty string");
      t.content = content.get<std::string>();
      t.special = flag(a, "special", false, path, file);
      t.single_word = flag(a, "single_word", false, path, file);
      t.lstrip = flag(a, "lstrip", false, path, file);
      t.rstrip = flag(a, "rstrip", false, path, file);
      t.normalized = flag(a, "normalized", !t.special, path, file);
      if (impl.id_present[t.id] && impl.id_text[t.id] != t.content)
        bad(file, path + ".id",
            fmt::format("id {} is {} in model.vocab but {} here", t.id, json(impl.id_text[t.id]).dump(),
                        json(t.content).dump()));
      impl.id_present[t.id] = true;
      impl.id_text[t.id] = t.content;
      impl.id_bytes[t.id] = bytes_of(t.content);
      impl.text_to_id.emplace(t.content, t.id);
      impl.added.push_back(std::move(t));
    }
  }

  // ---- normalizer, pre-tokenizer, decoder, post-processor
  impl.normalizer_json = ordered(root.value("normalizer", json()));
  impl.normalization = Normalization::none;
  const json norm = root.value("normalizer", json());
  auto accept_normalizer = [&](const json& n, const std::string& path) {
    const std::string type = type_of(n, path, file);
    if (type == "NFC") {
      if (!nfc_available())
        bad(file, join_path(path, "type"),
            "NFC needs ICU, which this hermes build lacks; rebuild with libicu-dev installed");
      impl.normalization = Normalization::nfc;
    } else {
      bad(file, join_path(path, "type"),
          fmt::format("normalizer \"{}\" is not supported; hermes supports none and NFC", type));
    }
  };
  if (!norm.is_null()) {
    if (type_of(norm, "normalizer", file) == "Sequence") {
      const json& list = member(norm, "normalizers", "normalizer", file);
      if (!list.is_array()) bad(file, "normalizer.normalizers", "expected an array");
      if (list.size() > 1)
        bad(file, "normalizer.normalizers", "a sequence of more than one normalizer is not supported");
      for (std::size_t i = 0; i < list.size(); ++i)
        accept_normalizer(list[i], fmt::format("normalizer.normalizers[{}]", i));
    } else {
      accept_normalizer(norm, "normalizer");
    }
  }
  impl.pre_tokenizer_json = ordered(root.value("pre_tokenizer", json()));
  impl.pretokenizer = pretokenizer_from_json(root.value("pre_tokenizer", json()), "pre_tokenizer", file);
  const auto& steps = impl.pretokenizer.steps();
  if (std::none_of(steps.begin(), steps.end(),
                   [](const auto& s) { return s.kind == PreTokenizerStep::Kind::byte_level; }))
    bad(file, "pre_tokenizer",
        "has no ByteLevel step; hermes reads byte-level BPE tokenizers only (GPT-2, Llama-3, Qwen, SmolLM)");
  impl.decoder_json = ordered(root.value("decoder", json()));
  if (!impl.decoder_json.is_null()) {
    const std::string type = type_of(root["decoder"], "decoder", file);
    if (type != "ByteLevel")
      bad(file, "decoder.type", fmt::format("decoder \"{}\" is not supported; hermes supports ByteLevel", type));
  }
  // The post-processor only adds tokens when asked to (hermes never asks): kept verbatim.
  impl.post_processor_json = ordered(root.value("post_processor", json()));
  impl.finalize();
}

std::string to_json_text(const Tokenizer::Impl& impl) {
  // Written by hand around the big vocab/merges (ordered_json inserts are linear per key);
  // small components go through ordered_json so keys keep HuggingFace's order.
  auto str = [](const std::string& s) { return ojson(s).dump(-1, ' ', false, ojson::error_handler_t::strict); };
  auto component = [](const ojson& j) { return j.dump(-1, ' ', false, ojson::error_handler_t::strict); };
  std::string out = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [";
  for (std::size_t i = 0; i < impl.added.size(); ++i) {
    const auto& a = impl.added[i];
    const ojson t = {{"id", a.id},          {"content", a.content}, {"single_word", a.single_word},
                     {"lstrip", a.lstrip},  {"rstrip", a.rstrip},   {"normalized", a.normalized},
                     {"special", a.special}};
    out += i ? ",\n    " : "\n    ";
    out += component(t);
  }
  out += impl.added.empty() ? "],\n" : "\n  ],\n";
  out += "  \"normalizer\": " + component(impl.normalizer_json) + ",\n";
  out += "  \"pre_tokenizer\": " + component(impl.pre_tokenizer_json) + ",\n";
  out += "  \"post_processor\": " + component(impl.post_processor_json) + ",\n";
  out += "  \"decoder\": " + component(impl.decoder_json) + ",\n";
  out += "  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": " +
         component(impl.extra_model_fields.value("unk_token", ojson())) +
         ",\n    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n    \"fuse_unk\": false,\n"
         "    \"byte_fallback\": false,\n    \"ignore_merges\": " +
         (impl.ignore_merges ? "true" : "false") + ",\n    \"vocab\": {";
  bool first = true;
  for (std::size_t id = 0; id < impl.id_text.size(); ++id) {
    if (!impl.id_in_model[id]) continue;
    out += first ? "\n      " : ",\n      ";
    out.append(str(impl.id_text[id])).append(": ").append(std::to_string(id));
    first = false;
  }
  out += "\n    },\n    \"merges\": [";
  for (std::size_t i = 0; i < impl.merge_list.size(); ++i) {
    const auto& m = impl.merge_list[i];
    const std::string& l = impl.id_text[m.left];
    const std::string& r = impl.id_text[m.right];
    out += i ? ",\n      " : "\n      ";
    // "left right" is what every tokenizers version reads; a token holding a space needs the pair form.
    if (l.find(' ') == std::string::npos && r.find(' ') == std::string::npos)
      out += str(l + " " + r);
    else
      out.append("[").append(str(l)).append(", ").append(str(r)).append("]");
  }
  out += "\n    ]\n  }\n}\n";
  return out;
}

Tokenizer Tokenizer::load(const std::filesystem::path& path) {
  return from_json_text(read_file(path, "tokenizer file", "check [tokenizer] path or --tokenizer"), path.string());
}

Tokenizer Tokenizer::from_json_text(std::string_view text, const std::string& source) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    fail("{}: not valid JSON at byte {}: {}", source, e.byte, e.what());
  } catch (const json::exception& e) {  // a number too large for any type, ...
    fail("{}: not a tokenizer.json hermes can read ({})", source, e.what());
  }
  Tokenizer t;
  try {
    load_json(t.impl(), root, source);
  } catch (const json::exception& e) {
    fail("{}: a field has the wrong type or range ({}); give a HuggingFace tokenizer.json", source, e.what());
  }
  return t;
}

void Tokenizer::save(const std::filesystem::path& path) const {
  const std::string text = to_json_text(*impl_);
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail_environment("cannot write {}; check that its folder exists and is writable", tmp.string());
    out << text;
    if (!out.flush()) fail_environment("writing {} failed (disk full?)", tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) fail_environment("cannot rename {} to {}: {}", tmp.string(), path.string(), ec.message());
}

}  // namespace hermes::tokenizer
