// The command line: `hermes run DECK [section.key=value ...]` and the subcommands, each of which
// turns its flags into deck overrides so that one validated path runs every stage.
#include "hermes/app/cli.hpp"

#include <iostream>
#include <optional>
#include <sstream>

#include <CLI/CLI.hpp>

#include "hermes/app/run.hpp"
#include "hermes/app/train_corpus.hpp"
#include "hermes/backend/host/blas_kernels.hpp"
#include "hermes/core/threads.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/log.hpp"
#include "hermes/core/strings.hpp"
#include "hermes/deck/parser.hpp"
#include "hermes/model/report.hpp"
#include "hermes/stages/stage.hpp"
#include "hermes/tokenizer/tokenize_command.hpp"
#include "hermes/generate/chat.hpp"
#include "hermes/interop/export.hpp"
#include "hermes/interop/import.hpp"
#include "hermes/version.hpp"
#include "hermes/dist/root_work.hpp"

namespace hermes::app {
namespace fs = std::filesystem;
using tokenizer::tokenize_command;
namespace {

// Positional words: a deck path (at most one, no '=') and section.key=value overrides.
struct DeckArgs {
  std::string path;
  std::vector<std::string> overrides;
};

DeckArgs split_positionals(const std::vector<std::string>& words) {
  DeckArgs a;
  for (const auto& w : words) {
    if (w.find('=') != std::string::npos) {
      a.overrides.push_back(w);
    } else if (a.path.empty()) {
      a.path = w;
    } else {
      fail("two decks given ('{}' and '{}'); pass one deck and section.key=value overrides", a.path, w);
    }
  }
  return a;
}

// A minimal deck for a subcommand: it runs one stage and keeps its outputs where the flags say.
std::string subcommand_deck(const std::string& name, const std::string& stage) {
  return fmt::format("[run]\nname = \"{}\"\nstages = [\"{}\"]\n", name, stage);
}

template <typename T>
void flag_override(std::vector<std::string>& out, const std::string& key, const std::optional<T>& v) {
  if (!v) return;
  if constexpr (std::is_same_v<T, std::string>)
    out.push_back(key + "=" + deck::toml_string(*v));
  else if constexpr (std::is_same_v<T, bool>)
    out.push_back(key + "=" + (*v ? "true" : "false"));
  else
    out.push_back(fmt::format("{}={}", key, *v));
}

// CLI11's message, with the closest subcommand or flag to the word it did not expect.
std::string parse_error_line(const CLI::App& app, const CLI::ParseError& e) {
  std::string what = e.what();
  // After a subcommand, only its flags are candidates, and its own help is the one to read.
  const auto given = app.get_subcommands();
  const CLI::App* sub = given.empty() ? nullptr : given.front();
  std::vector<std::string> names;
  if (sub) {
    for (const auto* opt : sub->get_options())
      for (const auto& n : opt->get_lnames()) names.push_back("--" + n);
  } else {
    for (const auto* s : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(s->get_name());
  }
  for (const auto* opt : app.get_options())
    for (const auto& n : opt->get_lnames()) names.push_back("--" + n);
  std::string hint;
  const auto colon = what.rfind(": ");
  if (colon != std::string::npos) {
    std::string word = what.substr(colon + 2);
    if (const auto space = word.find(' '); space != std::string::npos) word = word.substr(0, space);
    if (const auto eq = word.find('='); eq != std::string::npos) word = word.substr(0, eq);
    const std::string near = closest_match(word, names);
    if (!near.empty() && near != word) hint = fmt::format(" (did you mean '{}'?)", near);
  }
  for (auto& c : what)
    if (c == '\n') c = ' ';
  return fmt::format("{}{}; see hermes {}--help", what, hint, sub ? sub->get_name() + " " : "");
}

// `--output runs/mine` names the run directory: run.output_dir = "runs", run.name = "mine".
void run_directory_override(std::vector<std::string>& out, const std::optional<std::string>& dir) {
  if (!dir) return;
  fs::path p = fs::path(*dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  if (p.filename().empty() || p.filename() == "." || p.filename() == "..")
    fail("--output '{}' does not name a run directory; give a folder such as runs/mine", *dir);
  out.push_back("run.output_dir=" + deck::toml_string(p.has_parent_path() ? p.parent_path().string() : "."));
  out.push_back("run.name=" + deck::toml_string(p.filename().string()));
}

// Under mpirun/srun, --num-gpus states how many ranks the job expects (outside one, hermes
// started them itself: launch.hpp). Every rank knows the mismatch: one message, not one per rank.
void check_rank_count(const std::optional<int>& num_gpus, const dist::Communicator& comm) {
  if (num_gpus && *num_gpus != comm.size())
    throw CollectiveError(
        fmt::format("--num-gpus {} but {} rank{} running; drop --num-gpus under mpirun/srun, or make the two agree",
                    *num_gpus, comm.size(), comm.size() == 1 ? " is" : "s are"));
}

void print_version() {
  if (log::rank() == 0) std::cout << "hermes " << kVersion << " (git " << kGitRevision << ")\n";
}

}  // namespace

int main(int argc, char** argv, const dist::Communicator& comm) {
  CLI::App app{
      "hermes: train GPT/LLaMA-style language models as an MPI batch application.\n"
      "  mpirun -n N hermes run DECK [section.key=value ...]"};
  app.require_subcommand(0, 1);
  bool version = false;
  app.add_flag("--version", version, "print the version and git revision");

  // run
  auto* run = app.add_subcommand("run", "run the stages a deck lists (no deck: the embedded quickstart)");
  std::vector<std::string> run_words;
  bool force = false;
  run->add_option("deck_and_overrides", run_words, "DECK.toml, then section.key=value overrides");
  run->add_flag("--force", force, "start over in an existing run directory (deletes it)");
  std::optional<int> num_gpus;
  const char* num_gpus_help =
      "ranks to run: outside mpirun/srun hermes starts them with mpiexec (one per GPU, "
      "or per core group on a CPU node); under a launcher, the ranks it must have";
  run->add_option("--num-gpus", num_gpus, num_gpus_help)->check(CLI::PositiveNumber);

  // deck
  auto* deck_cmd = app.add_subcommand("deck", "print the effective deck (every key, its value and its meaning)");
  std::vector<std::string> deck_words;
  deck_cmd->add_option("deck_and_overrides", deck_words, "DECK.toml (default: the quickstart), then overrides");

  // info
  auto* info = app.add_subcommand("info", "presets, parameter counts, FLOPs per token, memory estimate");
  std::vector<std::string> info_words;
  std::optional<std::string> info_preset;
  std::optional<std::int64_t> info_vocab, info_seq;
  std::int64_t info_batch = 8;
  std::string info_precision = "fp32", info_optim = "adamw";
  info->add_option("deck_and_overrides", info_words, "optional deck whose model to describe, and overrides");
  info->add_option("--preset,--model", info_preset, "describe one preset in detail");
  info->add_option("--vocab-size", info_vocab, "vocabulary size (default: each preset's reference)")
      ->check(CLI::Range(std::int64_t{256}, std::int64_t{1} << 31));
  info->add_option("--batch", info_batch, "micro-batch for the memory estimate")->check(CLI::PositiveNumber);
  info->add_option("--seq-len", info_seq, "sequence length (default: context length)")->check(CLI::PositiveNumber);
  info->add_option("--precision", info_precision, "fp32 or bf16")->check(CLI::IsMember({"fp32", "bf16"}));
  info->add_option("--optim", info_optim, "adamw or muon")->check(CLI::IsMember({"adamw", "muon"}));

  // synth
  auto* synth = app.add_subcommand("synth", "write the synthetic agentic tool-use corpus (ShareGPT JSONL)");
  std::vector<std::string> synth_extra;
  std::optional<std::string> synth_output;
  std::optional<std::int64_t> synth_count, synth_seed;
  synth->add_option("--output", synth_output, "JSONL file to write (data.synth_output)");
  synth->add_option("--count", synth_count, "conversations (data.synth_conversations)");
  synth->add_option("--seed", synth_seed, "seed (run.seed)");
  synth->add_option("overrides", synth_extra, "section.key=value overrides");

  // train-tokenizer
  auto* tok = app.add_subcommand("train-tokenizer", "train a byte-level BPE tokenizer");
  std::vector<std::string> tok_inputs, tok_extra;
  std::optional<std::string> tok_output, tok_pattern, tok_format, tok_field;
  std::optional<std::int64_t> tok_vocab, tok_minfreq;
  tok->add_option("--input", tok_inputs, "corpus files")->required();
  tok->add_option("--output", tok_output, "tokenizer.json to write")->required();
  tok->add_option("--vocab-size", tok_vocab, "vocabulary size");
  tok->add_option("--min-frequency", tok_minfreq, "minimum pair count to merge");
  tok->add_option("--pattern", tok_pattern, "pre-tokenizer: gpt2, llama3, qwen2 or a regex");
  tok->add_option("--format", tok_format, "text, jsonl or sharegpt");
  tok->add_option("--text-field", tok_field, "JSONL text field");
  tok->add_option("overrides", tok_extra, "section.key=value overrides");

  // tokenize
  auto* tokz =
      app.add_subcommand("tokenize", "encode text with a tokenizer.json and print the ids as JSON (or --decode)");
  std::string tokz_tokenizer, tokz_file, tokz_jsonl, tokz_field = "text";
  std::optional<std::string> tokz_text;
  bool tokz_decode = false;
  tokz->add_option("--tokenizer", tokz_tokenizer, "tokenizer.json")->required();
  tokz->add_option("text", tokz_text, "the text to encode (with --decode: a JSON array of ids)");
  tokz->add_option("--file", tokz_file, "encode a whole file as one text (newlines included)");
  tokz->add_option("--jsonl", tokz_jsonl, "encode each JSONL record's text field; one JSON array per line");
  tokz->add_option("--text-field", tokz_field, "JSONL field holding the text");
  tokz->add_flag("--decode", tokz_decode, "decode JSON id arrays back to text");

  // prepare
  auto* prep = app.add_subcommand("prepare", "tokenize corpus files into HDF5 train/val/test shards");
  std::vector<std::string> prep_inputs, prep_extra;
  std::optional<std::string> prep_tokenizer, prep_output, prep_format, prep_field, prep_mask;
  std::optional<double> prep_val, prep_test;
  prep->add_option("--input", prep_inputs, "corpus files (data.inputs)")->required();
  prep->add_option("--tokenizer", prep_tokenizer, "tokenizer.json to encode with")->required();
  prep->add_option("--output", prep_output, "folder for the shards and manifest.json (data.output_dir)")->required();
  prep->add_option("--format", prep_format, "text, jsonl or sharegpt (default: from the first file)");
  prep->add_option("--text-field", prep_field, "JSONL field holding the text");
  prep->add_option("--loss-mask", prep_mask, "all or assistant (sharegpt)");
  prep->add_option("--val-fraction", prep_val, "fraction of documents for validation");
  prep->add_option("--test-fraction", prep_test, "fraction of documents for test");
  prep->add_option("overrides", prep_extra, "section.key=value overrides");

  // train
  auto* train = app.add_subcommand("train", "pretrain a model on prepared shards");
  std::vector<std::string> train_extra;
  std::optional<std::string> train_config, train_data, train_tokenizer, train_preset, train_optim, train_name,
      train_backend;
  std::optional<std::int64_t> train_batch, train_seq, train_steps, train_accum;
  std::optional<double> train_lr, train_epochs;
  bool train_force = false;
  std::optional<bool> train_resume;
  train->add_option("--config", train_config, "deck to start from");
  std::optional<std::string> train_output, train_format, train_field;
  std::optional<std::int64_t> train_vocab;
  train->add_option("--data", train_data,
                    "a folder of prepared shards, or a corpus: .txt, .jsonl, ShareGPT .jsonl, or - for standard "
                    "input (the default without --config)");
  train->add_option("--format", train_format, "corpus format: text, jsonl or sharegpt (default: from the file)");
  train->add_option("--text-field", train_field, "JSONL field holding the text");
  train->add_option("--tokenizer", train_tokenizer,
                    "tokenizer.json; with a corpus it is trained first when the file does not exist yet");
  train->add_option("--vocab-size", train_vocab, "vocabulary of the tokenizer trained on a corpus");
  train->add_option("--preset,--model", train_preset, "model preset (hermes info lists them)");
  train->add_option("--batch-size", train_batch, "micro-batch per rank");
  train->add_option("--seq-len", train_seq, "sequence length");
  train->add_option("--grad-accum", train_accum, "gradient accumulation steps");
  train->add_option("--max-steps", train_steps, "optimizer steps");
  train->add_option("--epochs", train_epochs, "epochs when --max-steps is 0");
  train->add_option("--lr", train_lr, "peak learning rate");
  train->add_option("--optim", train_optim, "adamw or muon");
  train->add_option("--backend", train_backend, "host, cuda or auto (parallel.backend)");
  train->add_option("--output", train_output, "run directory (run.output_dir/run.name)");
  train->add_option("--run-name", train_name, "run directory name");
  train->add_flag("--resume", train_resume, "continue the run from its latest checkpoint");
  train->add_flag("--force", train_force, "start over in an existing run directory");
  train->add_option("--num-gpus", num_gpus, num_gpus_help)->check(CLI::PositiveNumber);
  train->add_option("overrides", train_extra, "section.key=value overrides");

  // generate
  auto* gen = app.add_subcommand("generate", "generate text from a checkpoint");
  std::vector<std::string> gen_extra;
  std::optional<std::string> gen_checkpoint, gen_config, gen_tokenizer, gen_prompt, gen_prompts;
  std::optional<std::int64_t> gen_max, gen_topk, gen_seed;
  std::optional<double> gen_temp, gen_topp;
  gen->add_option("--checkpoint", gen_checkpoint, "checkpoint (.h5)");
  gen->add_option("--config", gen_config, "deck the model was trained with");
  gen->add_option("--tokenizer", gen_tokenizer, "tokenizer.json (default: the one the checkpoint holds)");
  gen->add_option("--prompt", gen_prompt, "one prompt");
  gen->add_option("--prompts-file", gen_prompts, "prompts JSONL for batch generation");
  gen->add_option("--max-tokens", gen_max, "new tokens per prompt");
  gen->add_option("--temperature", gen_temp, "sampling temperature (0: greedy)");
  gen->add_option("--top-k", gen_topk, "top-k sampling");
  gen->add_option("--top-p", gen_topp, "nucleus sampling mass");
  gen->add_option("--seed", gen_seed, "sampling seed");
  gen->add_option("--num-gpus", num_gpus, num_gpus_help)->check(CLI::PositiveNumber);
  gen->add_option("overrides", gen_extra, "section.key=value overrides");
  bool gen_interactive = false;
  generate::ChatOptions chat_opts;
  gen->add_flag("--interactive", gen_interactive, "chat in the terminal (same as `hermes chat`)");
  gen->add_option("--system", chat_opts.system, "system prompt (interactive)");
  gen->add_option("--tools", chat_opts.tools_file, "tools JSON file, or \"synth\" (interactive)");
  // chat: the same flags; generate's stage is replaced by the terminal conversation.
  auto* chat = app.add_subcommand("chat", "chat with a checkpoint in the terminal (/reset, /exit)");
  chat->add_option("--checkpoint", gen_checkpoint, "checkpoint (.h5)");
  chat->add_option("--config", gen_config, "deck the model was trained with");
  chat->add_option("--tokenizer", gen_tokenizer, "tokenizer.json (default: the one the checkpoint holds)");
  chat->add_option("--system", chat_opts.system, "system prompt");
  chat->add_option("--tools", chat_opts.tools_file, "tools JSON file (array of schemas), or \"synth\"");
  chat->add_option("--max-tokens", gen_max, "new tokens per reply");
  chat->add_option("--temperature", gen_temp, "sampling temperature (0: greedy)");
  chat->add_option("--top-k", gen_topk, "top-k sampling");
  chat->add_option("--top-p", gen_topp, "nucleus sampling mass");
  chat->add_option("--seed", gen_seed, "sampling seed");
  chat->add_option("overrides", gen_extra, "section.key=value overrides");

  // export
  auto* exp = app.add_subcommand("export", "write a checkpoint for llama.cpp (GGUF) or transformers (safetensors)");
  std::vector<std::string> exp_extra;
  std::optional<std::string> exp_checkpoint, exp_format, exp_output, exp_dtype, exp_config;
  exp->add_option("--checkpoint", exp_checkpoint, "checkpoint (.h5) to export (export.checkpoint)");
  exp->add_option("--format", exp_format, "gguf (llama.cpp) or hf (HuggingFace directory)");
  exp->add_option("--output", exp_output, "gguf: the .gguf file; hf: a directory");
  exp->add_option("--dtype", exp_dtype, "gguf: f32, f16, bf16, q8_0; hf: fp32, fp16, bf16 (default: the checkpoint's)");
  exp->add_option("--config", exp_config, "deck whose [export] section to use");
  exp->add_option("overrides", exp_extra, "section.key=value overrides");

  // import
  auto* imp = app.add_subcommand("import", "turn a HuggingFace Llama directory into a hermes checkpoint");
  std::string imp_from, imp_output;
  imp->add_option("--from", imp_from, "model directory: config.json, model.safetensors (or index), tokenizer.json")
      ->required();
  imp->add_option("--output", imp_output, "folder for checkpoint.h5, tokenizer.json and model.toml")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Only rank 0 speaks; every rank returns the same code. Help and --version are CLI11's
    // "errors" with exit code 0; every real mistake is one line, a did-you-mean, and exit 2.
    std::ostringstream sink;
    if (e.get_exit_code() == 0) return comm.is_root() ? app.exit(e) : app.exit(e, sink, sink);
    if (comm.is_root()) std::cerr << "hermes: error: " << parse_error_line(app, e) << "\n";
    return 2;
  }
  if (version) {
    print_version();
    return 0;
  }
  check_rank_count(num_gpus, comm);

  if (*run) {
    const DeckArgs a = split_positionals(run_words);
    const deck::Deck d = deck::load_deck_collective(comm, a.path, a.overrides);
    log::set_level(log::parse_level(d.run.log_level));
    return run_deck(d, {.force = force, .keep_run_dir = true}, comm);
  }

  if (*deck_cmd) {
    const DeckArgs a = split_positionals(deck_words);
    const deck::Deck d = deck::load_deck_collective(comm, a.path, a.overrides);
    if (comm.is_root()) std::cout << deck::to_toml(d);
    return 0;
  }

  if (*info) {
    const auto precision = model::parse_precision(info_precision);
    if (!info_words.empty()) {
      const DeckArgs a = split_positionals(info_words);
      deck::Deck d = deck::load_deck_collective(comm, a.path, a.overrides);
      auto m = deck::resolve_model(d.model, info_vocab.value_or(0));
      const std::int64_t t = info_seq.value_or(d.train.seq_len > 0 ? d.train.seq_len : m.context_length);
      log::info("{}", model::model_report(m, info_batch, t, precision, info_optim == "muon"));
      return 0;
    }
    if (info_preset) {
      auto m = model::preset(*info_preset);
      if (info_vocab) m.vocab_size = *info_vocab;
      model::validate(m);
      log::info("{}", model::model_report(m, info_batch, info_seq.value_or(m.context_length), precision,
                                          info_optim == "muon"));
      return 0;
    }
    log::info("{}", model::presets_table(info_vocab.value_or(0), info_batch, info_seq.value_or(0), precision));
    // What this machine gives a rank; the comparison scripts give PyTorch the same BLAS kernels.
    log::info("this rank: BLAS {}; threads {}", backend::host::describe_blas(), threads::describe(threads::current()));
    return 0;
  }

  if (*synth) {
    std::vector<std::string> o;
    flag_override(o, "data.synth_output", synth_output);
    flag_override(o, "data.synth_conversations", synth_count);
    flag_override(o, "run.seed", synth_seed);
    o.insert(o.end(), synth_extra.begin(), synth_extra.end());
    const auto d = deck::load_deck_collective(comm, "", o, subcommand_deck("synth", "synth"), "synth flags");
    return run_deck(d, {.keep_run_dir = false}, comm);
  }

  if (*tok) {
    std::vector<std::string> o = {"tokenizer.inputs=" + deck::toml_string_array(tok_inputs)};
    flag_override(o, "tokenizer.path", tok_output);
    flag_override(o, "tokenizer.vocab_size", tok_vocab);
    flag_override(o, "tokenizer.min_frequency", tok_minfreq);
    flag_override(o, "tokenizer.pattern", tok_pattern);
    flag_override(o, "tokenizer.format", tok_format);
    flag_override(o, "tokenizer.text_field", tok_field);
    o.insert(o.end(), tok_extra.begin(), tok_extra.end());
    const auto d = deck::load_deck_collective(comm, "", o, subcommand_deck("train-tokenizer", "tokenizer"),
                                              "train-tokenizer flags");
    return run_deck(d, {.keep_run_dir = false}, comm);
  }

  if (*tokz) {
    if (!comm.is_root()) return 0;
    return tokenize_command({.tokenizer = tokz_tokenizer,
                             .text = tokz_text,
                             .file = tokz_file,
                             .jsonl = tokz_jsonl,
                             .text_field = tokz_field,
                             .decode = tokz_decode});
  }

  if (*prep) {
    std::vector<std::string> o = {"data.inputs=" + deck::toml_string_array(prep_inputs)};
    flag_override(o, "tokenizer.path", prep_tokenizer);
    flag_override(o, "data.output_dir", prep_output);
    std::string format;
    dist::on_root_collectively(comm, [&] { format = corpus_format(prep_inputs.front(), prep_format); });
    comm.broadcast(format);
    o.push_back("data.format=" + deck::toml_string(format));
    flag_override(o, "data.text_field", prep_field);
    flag_override(o, "data.loss_mask", prep_mask);
    flag_override(o, "data.val_fraction", prep_val);
    flag_override(o, "data.test_fraction", prep_test);
    o.insert(o.end(), prep_extra.begin(), prep_extra.end());
    const auto d = deck::load_deck_collective(comm, "", o, subcommand_deck("prepare", "prepare"), "prepare flags");
    return run_deck(d, {.keep_run_dir = false}, comm);
  }

  if (*train) {
    std::vector<std::string> o;
    // A corpus (not shards) adds the tokenizer and prepare stages in front of pretrain.
    TrainCorpus corpus;
    dist::on_root_collectively(comm, [&] {
      corpus = plan_train_corpus({.data = train_data,
                                  .format = train_format,
                                  .text_field = train_field,
                                  .tokenizer = train_tokenizer,
                                  .vocab_size = train_vocab,
                                  .has_config = train_config.has_value()});
    });
    corpus.broadcast(comm);
    if (corpus.raw())
      o = corpus.overrides;
    else if (!train_config)
      o.push_back("run.stages=[\"pretrain\"]");
    if (!corpus.raw()) flag_override(o, "data.output_dir", train_data);
    flag_override(o, "tokenizer.path", train_tokenizer);
    flag_override(o, "model.preset", train_preset);
    flag_override(o, "train.batch_size", train_batch);
    flag_override(o, "train.seq_len", train_seq);
    flag_override(o, "train.grad_accum", train_accum);
    flag_override(o, "train.max_steps", train_steps);
    flag_override(o, "train.epochs", train_epochs);
    flag_override(o, "optim.lr", train_lr);
    flag_override(o, "optim.name", train_optim);
    flag_override(o, "parallel.backend", train_backend);
    run_directory_override(o, train_output);
    flag_override(o, "run.name", train_name);
    flag_override(o, "run.resume", train_resume);
    o.insert(o.end(), train_extra.begin(), train_extra.end());
    const auto d = deck::load_deck_collective(comm, train_config.value_or(""), o, subcommand_deck("train", "pretrain"),
                                              "train flags");
    RunOptions options{.force = train_force, .keep_run_dir = true};
    if (corpus.from_stdin)
      options.before_stages = [&](const fs::path& dir, bool resuming) {
        save_standard_input(corpus.stdin_text, dir, resuming);
      };
    return run_deck(d, options, comm);
  }

  if (*gen || *chat) {
    std::vector<std::string> o;
    o.push_back("run.stages=[\"generate\"]");  // with --config too: generate, not the deck's stages
    flag_override(o, "generate.prompt", gen_prompt);
    flag_override(o, "generate.prompts_file", gen_prompts);
    // A flag wins over the deck: --prompts-file clears a deck's generate.prompt and --prompt a
    // deck's prompts_file (the stage takes generate.prompt first when both are set).
    if (gen_prompts && !gen_prompt) o.push_back("generate.prompt=\"\"");
    if (gen_prompt && !gen_prompts) o.push_back("generate.prompts_file=\"\"");
    flag_override(o, "generate.checkpoint", gen_checkpoint);
    flag_override(o, "tokenizer.path", gen_tokenizer);
    flag_override(o, "generate.max_tokens", gen_max);
    flag_override(o, "generate.temperature", gen_temp);
    flag_override(o, "generate.top_k", gen_topk);
    flag_override(o, "generate.top_p", gen_topp);
    flag_override(o, "generate.seed", gen_seed);
    o.insert(o.end(), gen_extra.begin(), gen_extra.end());
    const auto d = deck::load_deck_collective(comm, gen_config.value_or(""), o, subcommand_deck("generate", "generate"),
                                              "generate flags");
    if (*chat || gen_interactive) {
      if (!comm.is_root()) return 0;  // one conversation: rank 0 holds it
      return generate::run_chat(d, chat_opts, std::cin, std::cout);
    }
    return run_deck(d, {.keep_run_dir = false}, comm);
  }

  if (*exp) {
    std::vector<std::string> o;
    o.push_back("run.stages=[\"export\"]");
    flag_override(o, "export.checkpoint", exp_checkpoint);
    flag_override(o, "export.format", exp_format);
    flag_override(o, "export.output", exp_output);
    flag_override(o, "export.dtype", exp_dtype);
    o.insert(o.end(), exp_extra.begin(), exp_extra.end());
    const auto d = deck::load_deck_collective(comm, exp_config.value_or(""), o, subcommand_deck("export", "export"),
                                              "export flags");
    return run_deck(d, {.keep_run_dir = false}, comm);
  }

  if (*imp) {
    dist::on_root_collectively(comm, [&] {
      const auto s = interop::import_hf(imp_from, imp_output);
      log::info("import: {} ({} layers, width {}, {} heads / {} kv heads, vocab {}, {}) -> {}", imp_from,
                s.config.n_layer, s.config.n_embd, s.config.n_head, s.config.n_kv_head, s.config.vocab_size,
                s.source_dtype, s.checkpoint.string());
      log::info("import: tokenizer {}, deck fragment {} (train.init_from continues training from it)",
                s.tokenizer.string(), s.deck.string());
    });
    return 0;
  }

  if (comm.is_root()) std::cout << app.help();
  return 0;
}

}  // namespace hermes::app
