#include "hermes/deck/parser.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "hermes/core/error.hpp"
#include "hermes/core/files.hpp"
#include "hermes/core/strings.hpp"
#include "hermes/dist/communicator.hpp"

namespace hermes::deck {
namespace {

constexpr std::string_view kOverridePrefix = "command-line override ";

std::string where(const toml::source_region& src, const std::string& fallback) {
  const std::string path = src.path ? *src.path : fallback;
  if (starts_with(path, kOverridePrefix)) return path;
  if (src.begin.line == 0) return path;
  return fmt::format("{}:{}:{}", path, src.begin.line, src.begin.column);
}

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date/time";
  }
}

std::string show(const toml::node& n) {
  std::ostringstream os;
  if (n.is_table()) return "{...}";
  os << toml::toml_formatter(n);
  std::string s = os.str();
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

std::string format_number(double v) {
  if (v == static_cast<double>(static_cast<long long>(v)) && std::abs(v) < 1e15)
    return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{}", v);
}

std::string describe_range(const Rule& r) {
  if (r.min && r.max)
    return fmt::format("between {} ({}) and {}", format_number(*r.min), r.min_exclusive ? "excluded" : "included",
                       format_number(*r.max));
  if (r.min) return fmt::format("{} {}", r.min_exclusive ? ">" : ">=", format_number(*r.min));
  if (r.max) return fmt::format("<= {}", format_number(*r.max));
  return "";
}

// Reads one section's table into its struct, field by field, then rejects leftover keys.
class SectionReader {
 public:
  SectionReader(const std::string& section, const toml::table* table, const std::string& source,
                const std::vector<std::pair<std::string, std::vector<std::string>>>& all_keys,
                std::map<std::string, std::string>& locations)
      : section_(section), table_(table), source_(source), all_keys_(all_keys), locations_(locations) {
    if (table_) locations_[section_] = section_location();
  }

  template <typename T>
  void operator()(const char* key, T& value, const char* help, const Rule& rule) {
    (void)help;
    seen_.insert(key);
    const toml::node* node = table_ ? table_->get(key) : nullptr;
    if (!node) {
      if (rule.required)
        fail("{}: [{}] is missing the required key '{}' ({}); add it, e.g. {} = ...", section_location(), section_, key,
             help, key);
      return;
    }
    locations_[section_ + "." + key] = where(node->source(), source_);
    read(key, *node, value, rule);
  }

  void reject_unknown_keys() {
    if (!table_) return;
    for (const auto& [k, node] : *table_) {
      const std::string key(k.str());
      if (seen_.count(key)) continue;
      std::vector<std::string> known(seen_.begin(), seen_.end());
      std::string hint;
      const std::string near = closest_match(key, known);
      if (!near.empty()) {
        hint = fmt::format("; did you mean '{}'?", near);
      } else {
        for (const auto& [other, keys] : all_keys_)
          if (other != section_ && std::find(keys.begin(), keys.end(), key) != keys.end())
            hint = fmt::format("; '{}' belongs in [{}]", key, other);
        if (hint.empty()) hint = fmt::format(" (keys of [{}]: {})", section_, join(known, ", "));
      }
      // An override's key carries no position; its value names the command line.
      const auto& origin = k.source().begin.line || !node.source().path ? k.source() : node.source();
      fail("{}: [{}] unknown key '{}'{}", where(origin, source_), section_, key, hint);
    }
  }

 private:
  std::string section_location() const {
    if (table_ && table_->source().begin.line) return where(table_->source(), source_);
    return source_;
  }

  [[noreturn]] void wrong_type(const char* key, const toml::node& n, const char* expected) {
    fail("{}: [{}] {} must be {}, got {} ({})", where(n.source(), source_), section_, key, expected, type_name(n),
         show(n));
  }

  void check_number(const char* key, const toml::node& n, double v, const Rule& r) {
    // NaN compares false with every bound, so a bounded key must be told apart from it first.
    if ((r.min || r.max) && !std::isfinite(v))
      fail("{}: [{}] {} = {} is not a finite number: must be {}", where(n.source(), source_), section_, key, show(n),
           describe_range(r));
    const bool low = r.min && (r.min_exclusive ? v <= *r.min : v < *r.min);
    const bool high = r.max && v > *r.max;
    if (low || high)
      fail("{}: [{}] {} = {} is out of range: must be {}", where(n.source(), source_), section_, key, show(n),
           describe_range(r));
  }

  void check_choice(const char* key, const toml::node& n, const std::string& v, const Rule& r) {
    if (r.choices.empty() || std::find(r.choices.begin(), r.choices.end(), v) != r.choices.end()) return;
    const std::string near = closest_match(v, r.choices);
    std::vector<std::string> shown;
    for (const auto& c : r.choices) shown.push_back(c.empty() ? "\"\"" : c);
    fail("{}: [{}] {} = \"{}\" is not allowed{}; choose one of: {}", where(n.source(), source_), section_, key, v,
         near.empty() ? "" : fmt::format(" (did you mean \"{}\"?)", near), join(shown, ", "));
  }

  void read(const char* key, const toml::node& n, bool& out, const Rule&) {
    if (!n.is_boolean()) wrong_type(key, n, "a boolean (true or false)");
    out = n.as_boolean()->get();
  }
  void read(const char* key, const toml::node& n, Resume& out, const Rule&) {
    if (n.is_boolean()) {
      out = n.as_boolean()->get() ? Resume::yes : Resume::no;
    } else if (n.is_string() && n.as_string()->get() == "auto") {
      out = Resume::if_exists;
    } else {
      wrong_type(key, n, "true, false or \"auto\"");
    }
  }
  void read(const char* key, const toml::node& n, std::int64_t& out, const Rule& r) {
    if (!n.is_integer()) wrong_type(key, n, "an integer");
    out = n.as_integer()->get();
    check_number(key, n, static_cast<double>(out), r);
  }
  void read(const char* key, const toml::node& n, double& out, const Rule& r) {
    if (n.is_integer())
      out = static_cast<double>(n.as_integer()->get());
    else if (n.is_floating_point())
      out = n.as_floating_point()->get();
    else
      wrong_type(key, n, "a number");
    check_number(key, n, out, r);
  }
  void read(const char* key, const toml::node& n, std::string& out, const Rule& r) {
    if (!n.is_string()) wrong_type(key, n, "a string (in quotes)");
    out = n.as_string()->get();
    if (r.non_empty && out.empty()) fail("{}: [{}] {} must not be empty", where(n.source(), source_), section_, key);
    check_choice(key, n, out, r);
  }
  void read(const char* key, const toml::node& n, std::vector<std::string>& out, const Rule& r) {
    const toml::array* a = n.as_array();
    if (!a) wrong_type(key, n, "an array of strings, e.g. [\"a\", \"b\"]");
    out.clear();
    for (const auto& item : *a) {
      if (!item.is_string()) wrong_type(key, item, "an array of strings; this element");
      out.push_back(item.as_string()->get());
      check_choice(key, item, out.back(), r);
    }
    if (r.non_empty && out.empty()) fail("{}: [{}] {} must not be empty", where(n.source(), source_), section_, key);
  }
  template <typename T>
  void read(const char* key, const toml::node& n, std::optional<T>& out, const Rule& r) {
    T v{};
    read(key, n, v, r);
    out = v;
  }

  std::string section_;
  const toml::table* table_;
  std::string source_;
  const std::vector<std::pair<std::string, std::vector<std::string>>>& all_keys_;
  std::map<std::string, std::string>& locations_;
  std::set<std::string> seen_;
};

struct KeyLister {
  std::vector<std::string> keys;
  template <typename T>
  void operator()(const char* key, T&, const char*, const Rule&) {
    keys.emplace_back(key);
  }
};

std::vector<std::pair<std::string, std::vector<std::string>>> all_section_keys() {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  Deck d;
  auto visit = [&](const char* name, auto& section) {
    KeyLister lister;
    section.fields(lister);
    out.emplace_back(name, std::move(lister.keys));
  };
  d.sections(visit);
  return out;
}

// Writes one section as TOML lines in declaration order, with each key's help as a comment.
class SectionWriter {
 public:
  explicit SectionWriter(std::ostringstream& os) : os_(os) {}
  template <typename T>
  void operator()(const char* key, const T& value, const char* help, const Rule&) {
    write(key, value, help);
  }

 private:
  void emit(const char* key, const std::string& literal, const char* help) {
    os_ << key << " = " << literal << "  # " << help << "\n";
  }
  void write(const char* key, bool v, const char* help) { emit(key, v ? "true" : "false", help); }
  void write(const char* key, Resume v, const char* help) {
    emit(key, v == Resume::if_exists ? "\"auto\"" : v == Resume::yes ? "true" : "false", help);
  }
  void write(const char* key, std::int64_t v, const char* help) { emit(key, fmt::format("{}", v), help); }
  void write(const char* key, double v, const char* help) {
    // Shortest text that reads back to the same double; keep it a TOML float, not an integer.
    std::string text = fmt::format("{}", v);
    if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
    emit(key, text, help);
  }
  void write(const char* key, const std::string& v, const char* help) { emit(key, toml_string(v), help); }
  void write(const char* key, const std::vector<std::string>& v, const char* help) {
    emit(key, toml_string_array(v), help);
  }
  template <typename T>
  void write(const char* key, const std::optional<T>& v, const char* help) {
    if (v) write(key, *v, help);
  }
  std::ostringstream& os_;
};

toml::table parse_toml(std::string_view text, const std::string& source_name) {
  try {
    return toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    fail("{}: TOML syntax error: {}", where(e.source(), source_name), std::string(e.description()));
  }
}

}  // namespace

std::string toml_string(const std::string& raw) {
  std::string out = "\"";
  for (const char c : raw) {
    if (c == '"' || c == '\\') out += '\\';
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) {
      out += fmt::format("\\u{:04x}", static_cast<int>(c));
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string toml_string_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + toml_string(items[i]);
  return out + "]";
}

namespace {

void apply_override(toml::table& root, const std::string& text, const std::string& source_name) {
  const auto eq = text.find('=');
  const std::string lhs = trim(text.substr(0, eq == std::string::npos ? 0 : eq));
  const auto dot = lhs.find('.');
  if (eq == std::string::npos || dot == std::string::npos || dot == 0 || dot + 1 == lhs.size())
    fail("command-line override '{}' is not of the form section.key=value (e.g. train.lr=3e-4)", printable(text));
  const std::string section = lhs.substr(0, dot), key = lhs.substr(dot + 1);
  const std::string value = trim(text.substr(eq + 1));
  const std::string origin = std::string(kOverridePrefix) + "'" + printable(text) + "'";
  if (printable(text) != text)
    fail(
        "{}: holds control characters or bytes that are not UTF-8 (shown as \\xNN); write the value as "
        "UTF-8 text",
        origin);

  // The value is TOML (numbers, booleans, arrays, quoted strings); anything that does not parse
  // as TOML is taken as a bare string, so run.name=my-run works without quotes.
  toml::table snippet;
  try {
    snippet = toml::parse("v = " + value, origin);
  } catch (const toml::parse_error&) {
    snippet = toml::parse("v = " + toml_string(value), origin);
  }
  if (!root.contains(section)) root.insert(section, toml::table{});
  toml::table* tbl = root.get(section)->as_table();
  if (!tbl) fail("{}: '{}' in {} is not a section", origin, section, source_name);
  tbl->insert_or_assign(key, std::move(*snippet.get("v")));
}

}  // namespace

std::string Deck::run_dir() const { return (std::filesystem::path(run.output_dir) / run.name).string(); }

std::string Deck::expand(const std::string& path) const {
  std::string out = path;
  const std::string token = "{run_dir}";
  for (auto pos = out.find(token); pos != std::string::npos; pos = out.find(token, pos))
    out.replace(pos, token.size(), run_dir());
  return out;
}

std::string Deck::where(const std::string& section_key) const {
  if (auto it = locations.find(section_key); it != locations.end()) return it->second;
  const std::string section = section_key.substr(0, section_key.find('.'));
  if (auto it = locations.find(section); it != locations.end()) return it->second;
  return source;
}

bool Deck::has_stage(const std::string& stage) const {
  return std::find(run.stages.begin(), run.stages.end(), stage) != run.stages.end();
}

Deck parse_deck(std::string_view text, const std::string& source_name, const std::vector<std::string>& overrides) {
  toml::table root = parse_toml(text, source_name);
  for (const auto& o : overrides) apply_override(root, o, source_name);

  Deck deck;
  deck.source = source_name;
  const auto all_keys = all_section_keys();
  std::vector<std::string> section_names;
  for (const auto& [name, keys] : all_keys) section_names.push_back(name);

  for (const auto& [k, node] : root) {
    const std::string name(k.str());
    if (std::find(section_names.begin(), section_names.end(), name) != section_names.end()) {
      if (!node.is_table())
        fail("{}: '{}' must be a section [{}], got {}", where(node.source(), source_name), name, name, type_name(node));
      continue;
    }
    const std::string near = closest_match(name, section_names);
    if (node.is_table())
      fail("{}: unknown section [{}]{}; sections: {}", where(k.source(), source_name), name,
           near.empty() ? "" : fmt::format("; did you mean [{}]?", near), join(section_names, ", "));
    std::string owner;
    for (const auto& [section, keys] : all_keys)
      if (std::find(keys.begin(), keys.end(), name) != keys.end()) owner = section;
    fail("{}: key '{}' is outside any section{}", where(k.source(), source_name), name,
         owner.empty() ? "; put it under one of: " + join(section_names, ", ")
                       : fmt::format("; put it under [{}]", owner));
  }

  auto read_section = [&](const char* name, auto& section) {
    const toml::table* table = root.get(name) ? root.get(name)->as_table() : nullptr;
    SectionReader reader(name, table, source_name, all_keys, deck.locations);
    section.fields(reader);
    reader.reject_unknown_keys();
  };
  deck.sections(read_section);

  validate(deck, source_name);
  return deck;
}

Deck load_deck_file(const std::filesystem::path& path, const std::vector<std::string>& overrides) {
  return parse_deck(read_file(path, "deck", "check the path (decks ship in inputs/)"), path.string(), overrides);
}

std::string to_toml(const Deck& deck) {
  std::ostringstream os;
  os << "# Effective hermes deck (source: " << deck.source << ")\n";
  Deck resolved = deck;
  // Write the model the run will actually build: the preset with the deck's fields applied.
  const model::ModelConfig m = resolve_model(deck.model);
  auto& ms = resolved.model;
  ms.n_layer = m.n_layer;
  ms.n_embd = m.n_embd;
  ms.n_head = m.n_head;
  ms.n_kv_head = m.n_kv_head;
  ms.ffn_hidden = m.ffn_hidden;
  ms.context_length = m.context_length;
  ms.ffn = model::to_string(m.ffn);
  ms.bias = m.bias;
  ms.smear = m.smear;
  ms.rope_theta = m.rope_theta;
  ms.norm_eps = m.norm_eps;
  ms.init_std = m.init_std;
  auto write = [&](const char* name, auto& section) {
    os << "\n[" << name << "]\n";
    SectionWriter writer(os);
    section.fields(writer);
  };
  resolved.sections(write);
  return os.str();
}

Deck load_deck_collective(const dist::Communicator& comm, const std::string& path,
                          const std::vector<std::string>& overrides, std::string_view base_text,
                          const std::string& base_name) {
  // Rank 0 does the reading: one file open per job, not one per rank, on a shared file system.
  std::string payload, locations;
  const bool use_base = path.empty() && !base_text.empty();
  std::string source = !path.empty() ? path : use_base ? base_name : "embedded quickstart deck";
  int ok = 1;
  if (comm.is_root()) {
    try {
      const Deck d = !path.empty() ? load_deck_file(path, overrides)
                                   : parse_deck(use_base ? base_text : embedded_quickstart(), source, overrides);
      payload = to_toml(d);
      // Where each key was set in the deck or the overrides: errors on every rank name the
      // user's line, not a line of the effective text, and unset keys stay unset.
      for (const auto& [key, where] : d.locations) locations += key + '\t' + where + '\n';
    } catch (const Error& e) {
      ok = 0;
      payload = e.what();
    }
  }
  comm.broadcast_value(ok);
  comm.broadcast(payload);
  comm.broadcast(source);
  if (!ok) throw CollectiveError(payload);
  comm.broadcast(locations);
  // Every rank, rank 0 included, builds its Deck from the same effective text.
  Deck deck = parse_deck(payload, source);
  deck.source = source;
  deck.locations.clear();
  for (const auto& line : split(locations, '\n')) {
    const auto tab = line.find('\t');
    if (tab != std::string::npos) deck.locations[line.substr(0, tab)] = line.substr(tab + 1);
  }
  return deck;
}

}  // namespace hermes::deck

namespace hermes::embedded {
std::string_view quickstart_deck();  // generated from inputs/quickstart.toml
}

std::string_view hermes::deck::embedded_quickstart() { return hermes::embedded::quickstart_deck(); }
