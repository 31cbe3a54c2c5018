// Cross-key deck checks: things no single key can know (a stage needs an input, a sequence must
// fit the model's context, splits must leave a training set).
#include <set>

#include "hermes/core/error.hpp"
#include "hermes/core/strings.hpp"
#include "hermes/deck/parser.hpp"

namespace hermes::deck {

model::ModelConfig resolve_model(const ModelSection& s, std::int64_t tokenizer_vocab) {
  model::ModelConfig c = model::preset(s.preset);
  if (s.vocab_size)
    c.vocab_size = *s.vocab_size;
  else if (tokenizer_vocab > 0)
    c.vocab_size = tokenizer_vocab;
  if (s.n_layer) c.n_layer = *s.n_layer;
  if (s.n_embd) c.n_embd = *s.n_embd;
  if (s.n_head) {
    // Changing the head count without naming the KV heads keeps plain multi-head attention.
    if (!s.n_kv_head && c.n_kv_head == c.n_head) c.n_kv_head = *s.n_head;
    c.n_head = *s.n_head;
  }
  if (s.n_kv_head) c.n_kv_head = *s.n_kv_head;
  if (s.ffn_hidden) c.ffn_hidden = *s.ffn_hidden;
  if (s.context_length) c.context_length = *s.context_length;
  if (s.ffn) c.ffn = model::parse_ffn(*s.ffn);
  if (s.bias) c.bias = *s.bias;
  if (s.smear) c.smear = *s.smear;
  if (s.rope_theta) c.rope_theta = *s.rope_theta;
  if (s.norm_eps) c.norm_eps = *s.norm_eps;
  if (s.init_std) c.init_std = *s.init_std;
  return c;
}

void validate(const Deck& d, const std::string& /*source_name*/) {
  std::set<std::string> seen;
  for (const auto& s : d.run.stages)
    if (!seen.insert(s).second)
      fail("{}: [run] stages lists '{}' twice; each stage runs once per deck", d.where("run.stages"), s);

  try {
    model::validate(resolve_model(d.model));
  } catch (const Error& e) {
    fail("{}: [model] {}", d.where("model"), std::string(e.what()).substr(std::string("model: ").size()));
  }
  const auto m = resolve_model(d.model);
  if (d.train.seq_len > m.context_length)
    fail(
        "{}: [train] seq_len = {} exceeds the model's context_length = {}; lower seq_len or raise "
        "[model] context_length",
        d.where("train.seq_len"), d.train.seq_len, m.context_length);

  if (d.data.val_fraction + d.data.test_fraction >= 0.9)
    fail("{}: [data] val_fraction + test_fraction = {} leaves too little for training; keep it below 0.9",
         d.where("data.val_fraction"), d.data.val_fraction + d.data.test_fraction);

  const auto specials = static_cast<std::int64_t>(d.tokenizer.special_tokens.size());
  if (d.tokenizer.vocab_size < 256 + specials)
    fail(
        "{}: [tokenizer] vocab_size = {} is smaller than the 256 byte tokens plus {} special tokens; "
        "raise it to at least {}",
        d.where("tokenizer.vocab_size"), d.tokenizer.vocab_size, specials, 256 + specials);
  std::set<std::string> unique_specials;
  for (const auto& t : d.tokenizer.special_tokens) {
    if (t.empty())
      fail("{}: [tokenizer] special_tokens holds an empty string; remove it", d.where("tokenizer.special_tokens"));
    if (!unique_specials.insert(t).second)
      fail("{}: [tokenizer] special_tokens lists '{}' twice", d.where("tokenizer.special_tokens"), t);
  }

  if (d.has_stage("prepare") && d.data.inputs.empty())
    fail("{}: [data] inputs is empty but stage 'prepare' needs a corpus; add inputs = [\"corpus.txt\"]",
         d.where("data"));
  if (d.has_stage("tokenizer") && d.tokenizer.inputs.empty() && d.data.inputs.empty())
    fail(
        "{}: [tokenizer] inputs and [data] inputs are both empty but stage 'tokenizer' needs a corpus; "
        "add inputs = [\"corpus.txt\"] to [tokenizer] or [data]",
        d.where("tokenizer"));
  // generate with neither prompts_file nor prompt uses held-out synthetic conversations.
  for (const char c : d.run.name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      fail("{}: [run] name = \"{}\" may hold only letters, digits, '-', '_' and '.' (it names a folder)",
           d.where("run.name"), d.run.name);
  if (d.run.name.size() > 255)  // NAME_MAX of every common file system
    fail("{}: [run] name is {} characters long; a folder name holds at most 255", d.where("run.name"),
         d.run.name.size());
}

}  // namespace hermes::deck
