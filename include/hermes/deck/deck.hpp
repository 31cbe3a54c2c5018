#pragma once
// The input deck: one plain struct per TOML section, defaults in the struct, and a `fields`
// declaration that the reader, the writer and the documentation generator all walk. Adding a key
// means adding one member and one line in `fields`.
//
// Paths may contain `{run_dir}`, replaced by <run.output_dir>/<run.name>.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hermes/deck/rules.hpp"

namespace hermes::deck {

// Stages in the order a typical deck lists them.
inline const std::vector<std::string> kStageNames = {"synth",    "tokenizer", "prepare", "pretrain",
                                                     "evaluate", "generate",  "export",  "info"};
inline const std::vector<std::string> kCorpusFormats = {"text", "jsonl", "sharegpt"};
// The synthetic corpus's tools, in the generator's order (data::synth_tool_names()).
inline const std::vector<std::string> kSynthTools = {"calculator", "word_frequency", "convert_units", "date_calculator",
                                                     "element_lookup"};

// run.resume: false (start a new run), true (continue an existing run), or "auto" (continue the
// run if its directory exists, start it otherwise: what a requeued batch job wants). The run
// driver resolves "auto" to one of the other two before any stage runs.
enum class Resume { no, yes, if_exists };

struct RunSection {
  std::string name;
  std::vector<std::string> stages;
  std::string output_dir = "runs";
  std::int64_t seed = 1337;
  Resume resume = Resume::no;
  std::string log_level = "info";

  bool resuming() const { return resume == Resume::yes; }

  template <class V>
  void fields(V& v) {
    v("name", name, "run name; outputs go to <output_dir>/<name>", rule().must().filled());
    v("stages", stages, "stages to run, in order", rule().must().filled().one_of(kStageNames));
    v("output_dir", output_dir, "parent folder of run directories", rule().filled());
    v("seed", seed, "master seed every stage derives its seeds from", rule().at_least(0));
    v("resume", resume,
      "continue an existing run directory from its latest checkpoint (true), or \"auto\": if it exists", rule());
    v("log_level", log_level, "debug, info, warn or error", rule().one_of({"debug", "info", "warn", "error"}));
  }
};

struct TokenizerSection {
  std::string path = "{run_dir}/tokenizer.json";
  std::vector<std::string> inputs;  // empty: train on data.inputs
  std::string format;               // empty: data.format
  std::string text_field = "text";
  std::int64_t vocab_size = 32000;
  std::int64_t min_frequency = 2;
  std::vector<std::string> special_tokens = {"<|endoftext|>", "<|pad|>",      "<|system|>",      "<|user|>",
                                             "<|assistant|>", "<|tool|>",     "<think>",         "</think>",
                                             "<tool_call>",   "</tool_call>", "<tool_response>", "</tool_response>"};
  std::string pattern = "gpt2";
  std::int64_t max_bytes = 0;  // 0: the whole corpus

  template <class V>
  void fields(V& v) {
    v("path", path, "tokenizer.json that later stages load and the tokenizer stage writes", rule().filled());
    v("inputs", inputs, "corpus files to train on (empty: data.inputs)", rule());
    v("format", format, "corpus format (empty: data.format)", rule().one_of({"", "text", "jsonl", "sharegpt"}));
    v("text_field", text_field, "JSONL field holding the text", rule().filled());
    v("vocab_size", vocab_size, "vocabulary size including bytes and special tokens", rule().in(256, 1 << 24));
    v("min_frequency", min_frequency, "a pair must occur this often to be merged", rule().at_least(1));
    v("special_tokens", special_tokens, "tokens matched before pre-tokenization, never split", rule());
    v("pattern", pattern, "pre-tokenizer: gpt2, llama3, qwen2 or a PCRE2 regex", rule().filled());
    v("max_bytes", max_bytes, "read at most this many corpus bytes (0: all)", rule().at_least(0));
  }
};

struct DataSection {
  std::vector<std::string> inputs;
  std::string format = "text";
  std::string text_field = "text";
  std::string doc_separator = "\n\n";
  bool one_doc_per_file = false;
  std::string loss_mask = "all";
  std::string output_dir = "{run_dir}/data";
  std::int64_t shard_tokens = 1 << 24;
  double val_fraction = 0.10;
  double test_fraction = 0.01;
  double data_fraction = 1.0;
  bool skip_bad_records = false;
  std::int64_t synth_conversations = 2000;
  std::string synth_output = "{run_dir}/synth.jsonl";
  std::vector<std::string> synth_tool_mix = kSynthTools;

  template <class V>
  void fields(V& v) {
    v("inputs", inputs, "corpus files", rule());
    v("format", format, "text, jsonl or sharegpt", rule().one_of(kCorpusFormats));
    v("text_field", text_field, "JSONL field holding the text", rule().filled());
    v("doc_separator", doc_separator, "plain text: separator between documents", rule());
    v("one_doc_per_file", one_doc_per_file, "plain text: each file is one document", rule());
    v("loss_mask", loss_mask, "all or assistant", rule().one_of({"all", "assistant"}));
    v("output_dir", output_dir, "folder for HDF5 shards and the manifest", rule().filled());
    v("shard_tokens", shard_tokens, "tokens per shard file", rule().at_least(1024));
    v("val_fraction", val_fraction, "fraction of documents for validation", rule().in(0, 0.5));
    v("test_fraction", test_fraction, "fraction of documents for test", rule().in(0, 0.5));
    v("data_fraction", data_fraction, "fraction of the corpus to use", rule().above(0).at_most(1));
    v("skip_bad_records", skip_bad_records, "skip and count malformed records instead of failing", rule());
    v("synth_conversations", synth_conversations, "conversations the synth stage writes", rule().at_least(1));
    v("synth_output", synth_output, "JSONL file the synth stage writes", rule().filled());
    v("synth_tool_mix", synth_tool_mix,
      "tools the synth stage's tool exchanges draw from, one share per entry (a tool named twice: twice as often)",
      rule().filled().one_of(kSynthTools));
  }
};

// Every model field is optional: unset fields come from the preset.
struct ModelSection {
  std::string preset = "tiny";
  std::optional<std::int64_t> vocab_size, n_layer, n_embd, n_head, n_kv_head, ffn_hidden, context_length;
  std::optional<std::string> ffn;
  std::optional<bool> bias;
  std::optional<bool> smear;
  std::optional<double> rope_theta, norm_eps, init_std;

  template <class V>
  void fields(V& v);  // defined in model_section.hpp (needs the preset list)
};

struct TrainSection {
  std::int64_t batch_size = 8;
  std::int64_t seq_len = 0;  // 0: the model's context length
  std::int64_t grad_accum = 1;
  std::int64_t max_steps = 0;  // 0: run `epochs` epochs
  double epochs = 1.0;
  std::int64_t log_interval = 10;
  double grad_clip = 1.0;
  std::string precision = "auto";
  std::string init_from;  // empty: the seeded initialisation
  bool document_mask = false;

  template <class V>
  void fields(V& v) {
    v("batch_size", batch_size, "sequences per micro-batch per rank", rule().at_least(1));
    v("seq_len", seq_len, "tokens per sequence (0: model context length)", rule().at_least(0));
    v("grad_accum", grad_accum, "micro-batches per optimizer step", rule().at_least(1));
    v("max_steps", max_steps, "optimizer steps (0: run `epochs`)", rule().at_least(0));
    v("epochs", epochs, "passes over the training split when max_steps = 0", rule().above(0));
    v("log_interval", log_interval, "steps between progress lines", rule().at_least(1));
    v("grad_clip", grad_clip, "clip the global gradient norm to this (0: off)", rule().at_least(0));
    v("precision", precision, "auto, fp32 or bf16", rule().one_of({"auto", "fp32", "bf16"}));
    v("init_from", init_from,
      "checkpoint whose weights start training (fresh optimizer state, step 0; e.g. from `hermes import`)", rule());
    v("document_mask", document_mask,
      "attention stays inside each packed document (host backend); false: a window attends across documents", rule());
  }
};

struct OptimSection {
  std::string name = "adamw";
  double lr = 3e-4;
  double min_lr_ratio = 0.1;
  std::int64_t warmup_steps = 100;
  std::string schedule = "cosine";
  double decay_fraction = 0.4;
  double weight_decay = 0.1;
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  double muon_lr = 0.02;
  double muon_momentum = 0.95;
  std::int64_t ns_steps = 5;

  template <class V>
  void fields(V& v) {
    v("name", name, "adamw, or muon (Muon on 2-D hidden weights, AdamW on the rest)", rule().one_of({"adamw", "muon"}));
    v("lr", lr, "peak AdamW learning rate", rule().above(0).at_most(10));
    v("min_lr_ratio", min_lr_ratio, "where the cosine or wsd schedule ends, as a fraction of lr", rule().in(0, 1));
    v("warmup_steps", warmup_steps, "linear warmup steps", rule().at_least(0));
    v("schedule", schedule, "cosine, wsd (full rate, then a linear decay at the end) or constant",
      rule().one_of({"cosine", "wsd", "constant"}));
    v("decay_fraction", decay_fraction, "wsd: the share of the steps after warmup spent on the linear decay",
      rule().above(0).at_most(1));
    v("weight_decay", weight_decay, "decoupled weight decay (not on norms and embeddings)", rule().in(0, 1));
    v("beta1", beta1, "AdamW first-moment decay", rule().in(0, 1));
    v("beta2", beta2, "AdamW second-moment decay", rule().in(0, 1));
    v("eps", eps, "AdamW epsilon", rule().above(0));
    v("muon_lr", muon_lr, "Muon learning rate", rule().above(0).at_most(10));
    v("muon_momentum", muon_momentum, "Muon Nesterov momentum", rule().in(0, 1));
    v("ns_steps", ns_steps, "Newton-Schulz iterations", rule().in(1, 20));
  }
};

struct EvalSection {
  std::int64_t interval = 100;
  std::int64_t batches = 20;
  bool test_at_end = true;
  bool tool_eval = false;
  std::string tool_eval_file;  // empty: the synthetic held-out set
  std::int64_t tool_eval_max = 100;
  bool agent_eval = false;
  std::int64_t agent_max_rounds = 4;
  bool paraphrased = false;

  template <class V>
  void fields(V& v) {
    v("interval", interval, "steps between validation passes (0: only at the end)", rule().at_least(0));
    v("batches", batches, "validation batches per pass", rule().at_least(1));
    v("test_at_end", test_at_end, "evaluate the test split when training ends", rule());
    v("tool_eval", tool_eval, "run the tool-calling evaluation in the evaluate stage", rule());
    v("tool_eval_file", tool_eval_file, "ShareGPT JSONL for the tool-call evaluation", rule());
    v("tool_eval_max", tool_eval_max, "conversations the tool-call evaluation scores", rule().at_least(1));
    v("agent_eval", agent_eval, "run the same conversations as an agent, executing its tool calls", rule());
    v("agent_max_rounds", agent_max_rounds, "assistant turns the agent evaluation allows per user request",
      rule().in(1, 16));
    v("paraphrased", paraphrased, "also score the held-out set worded by templates the corpus never uses", rule());
  }
};

struct CheckpointSection {
  std::string dir = "{run_dir}/checkpoints";
  std::int64_t interval = 500;
  std::int64_t keep_last = 3;
  bool save_best = true;
  bool save_final = true;

  template <class V>
  void fields(V& v) {
    v("dir", dir, "checkpoint folder", rule().filled());
    v("interval", interval, "steps between periodic checkpoints (0: none)", rule().at_least(0));
    v("keep_last", keep_last, "periodic checkpoints kept", rule().at_least(1));
    v("save_best", save_best, "keep the checkpoint with the lowest validation loss", rule());
    v("save_final", save_final, "write a checkpoint when training ends", rule());
  }
};

struct GenerateSection {
  std::string prompts_file;
  std::string prompt;  // one prompt given on the command line instead of a file
  std::string output_file = "{run_dir}/generations.jsonl";
  std::string checkpoint;  // empty: the run's final (or latest) checkpoint
  std::int64_t max_tokens = 128;
  double temperature = 0.8;
  std::int64_t top_k = 50;
  double top_p = 1.0;
  std::int64_t seed = 0;  // 0: derived from run.seed
  std::vector<std::string> stop;
  std::int64_t samples = 3;
  std::string prompt_overflow = "truncate";

  template <class V>
  void fields(V& v) {
    v("prompts_file", prompts_file,
      "JSONL prompts for batch generation (empty, with no prompt: held-out synthetic conversations)", rule());
    v("prompt", prompt, "a single prompt instead of prompts_file", rule());
    v("output_file", output_file, "JSONL outputs, one record per prompt in input order", rule().filled());
    v("checkpoint", checkpoint, "checkpoint to generate from (empty: the run's latest)", rule());
    v("max_tokens", max_tokens, "new tokens per prompt", rule().at_least(1));
    v("temperature", temperature, "sampling temperature (0: greedy)", rule().at_least(0));
    v("top_k", top_k, "keep the k most likely tokens (0: all)", rule().at_least(0));
    v("top_p", top_p, "nucleus sampling mass", rule().above(0).at_most(1));
    v("seed", seed, "sampling seed (0: from run.seed)", rule().at_least(0));
    v("stop", stop, "stop strings", rule());
    v("samples", samples, "generated samples printed at the end of the stage", rule().at_least(0));
    v("prompt_overflow", prompt_overflow, "truncate (from the left, with a warning) or error",
      rule().one_of({"truncate", "error"}));
  }
};

struct ExportSection {
  std::string format = "gguf";
  std::string dtype;       // empty: the checkpoint's precision
  std::string output;      // empty: {run_dir}/model.gguf (gguf) or {run_dir}/hf (hf)
  std::string checkpoint;  // empty: the run's final (or latest) checkpoint

  template <class V>
  void fields(V& v) {
    v("format", format, "hf (HuggingFace safetensors directory) or gguf (one file for llama.cpp)",
      rule().one_of({"hf", "gguf"}));
    v("dtype", dtype, "hf: fp32, fp16, bf16; gguf: f32, f16, bf16, q8_0 (empty: the checkpoint's precision)",
      rule().one_of({"", "fp32", "fp16", "f32", "f16", "bf16", "q8_0"}));
    v("output", output, "gguf: the .gguf file; hf: a directory (empty: {run_dir}/model.gguf or {run_dir}/hf)", rule());
    v("checkpoint", checkpoint, "checkpoint to export (empty: the run's final, else latest)", rule());
  }
};

struct ParallelSection {
  std::string backend = "host";
  double bucket_mb = 25.0;
  bool zero1 = false;
  bool cuda_graphs = true;

  template <class V>
  void fields(V& v) {
    v("backend", backend, "host, cuda or auto (cuda when a GPU is present)", rule().one_of({"host", "cuda", "auto"}));
    v("bucket_mb", bucket_mb, "gradient all-reduce bucket size in MiB", rule().above(0));
    v("zero1", zero1, "shard optimizer state across ranks (ZeRO-1)", rule());
    v("cuda_graphs", cuda_graphs, "CUDA backend: replay micro-batches and the optimizer update as CUDA graphs", rule());
  }
};

struct Deck {
  RunSection run;
  TokenizerSection tokenizer;
  DataSection data;
  ModelSection model;
  TrainSection train;
  OptimSection optim;
  EvalSection eval;
  CheckpointSection checkpoint;
  GenerateSection generate;
  ExportSection export_;
  ParallelSection parallel;

  std::string source;  // where the deck came from: a file name or "embedded quickstart"
  // "section.key" -> "file:line:col" of each key the deck set, for cross-key error messages.
  std::map<std::string, std::string> locations;

  template <class V>
  void sections(V& v) {
    v("run", run);
    v("tokenizer", tokenizer);
    v("data", data);
    v("model", model);
    v("train", train);
    v("optim", optim);
    v("eval", eval);
    v("checkpoint", checkpoint);
    v("generate", generate);
    v("export", export_);
    v("parallel", parallel);
  }

  // <output_dir>/<name>
  std::string run_dir() const;
  // Replaces {run_dir} in a path taken from this deck.
  std::string expand(const std::string& path) const;
  bool has_stage(const std::string& stage) const;
  // Where "section.key" was set, else where the section started, else the deck's name.
  std::string where(const std::string& section_key) const;
  // True when the deck or an override set "section.key" (false: the default).
  bool is_set(const std::string& section_key) const { return locations.count(section_key) != 0; }
};

}  // namespace hermes::deck

#include "hermes/deck/model_section.hpp"
