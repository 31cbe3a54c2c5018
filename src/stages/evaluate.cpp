// The `evaluate` stage: loss, token accuracy and perplexity of a checkpoint on val and test.
#include <fstream>

#include "hermes/backend/select.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/files.hpp"
#include "hermes/core/log.hpp"
#include "hermes/data/random.hpp"
#include "hermes/data/synth.hpp"
#include "hermes/generate/load.hpp"
#include "hermes/generate/tool_eval.hpp"
#include "hermes/tokenizer/chat_template.hpp"
#include "hermes/io/checkpoint.hpp"
#include "hermes/stages/stage.hpp"
#include "hermes/tokenizer/tokenizer.hpp"
#include "hermes/train/loader_source.hpp"
#include "hermes/train/trainer.hpp"

namespace hermes::stages {

// The checkpoint to evaluate: generate.checkpoint when set, else the run's final, else latest.
std::filesystem::path checkpoint_to_use(const deck::Deck& d) {
  if (!d.generate.checkpoint.empty()) return d.expand(d.generate.checkpoint);
  const std::filesystem::path dir = d.expand(d.checkpoint.dir);
  if (std::filesystem::exists(dir / "final.h5")) return dir / "final.h5";
  if (std::filesystem::exists(dir / "latest")) {
    std::string name;
    std::ifstream(dir / "latest") >> name;
    // `latest` names a file of its folder; anything else is damage.
    if (name.empty() || name.size() > 255 || name.find('/') != std::string::npos || name == "." || name == "..")
      fail("{}: {} does not name a checkpoint file of that folder; set generate.checkpoint to the checkpoint to "
           "use", d.where("checkpoint.dir"), (dir / "latest").string());
    return dir / name;
  }
  fail("{}: no checkpoint in {} (neither final.h5 nor latest); run the pretrain stage first",
       d.where("checkpoint.dir"), dir.string());
}

namespace {

struct EvalConversation {
  tokenizer::Conversation conv;
  std::string category;
};

std::vector<EvalConversation> tool_eval_set(const deck::Deck& d) {
  std::vector<EvalConversation> out;
  const auto max = static_cast<std::size_t>(d.eval.tool_eval_max);
  if (d.eval.tool_eval_file.empty()) {
    const auto seed = data::derive_seed(static_cast<std::uint64_t>(d.run.seed), "synth");
    for (std::size_t i = 0; i < max; ++i) {
      const auto j = data::synth_heldout_conversation(seed, i);
      out.push_back({tokenizer::conversation_from_sharegpt(j.dump(), "held-out " + std::to_string(i)),
                     j.value("scenario_category", "unlabelled")});
    }
    return out;
  }
  const std::filesystem::path path = d.expand(d.eval.tool_eval_file);
  reject_special_file(path, "give a ShareGPT JSONL file to eval.tool_eval_file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail("{}: {} cannot be read; give a ShareGPT JSONL file or leave eval.tool_eval_file empty for the "
         "synthetic held-out set", d.where("eval.tool_eval_file"), path.string());
  std::string line;
  for (std::int64_t no = 1; out.size() < max && std::getline(in, line); ++no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto where = path.string() + ":" + std::to_string(no);
    try {
      const auto j = nlohmann::json::parse(line, nullptr, false);
      auto conv = tokenizer::conversation_from_sharegpt(line, where);
      std::string cat = "unlabelled";
      if (j.is_object() && j.contains("scenario_category") && j["scenario_category"].is_string())
        cat = j["scenario_category"].get<std::string>();
      out.push_back({std::move(conv), cat});
    } catch (const Error& e) {
      log::warn("{}; the conversation is skipped", e.what());
    }
  }
  return out;
}

// Generates every assistant turn of the held-out conversations (greedy) and scores it.
void tool_eval(StageContext& ctx) {
  const auto& d = ctx.deck;
  const auto& comm = ctx.comm;
  const auto set = tool_eval_set(d);
  std::vector<std::string> cats{"all"};
  for (const auto& c : set)
    if (std::find(cats.begin(), cats.end(), c.category) == cats.end()) cats.push_back(c.category);
  auto m = generate::load_model(d, 8, comm.local_rank());
  auto& gen = *m->generator;
  struct Turn {
    std::size_t conv;
    std::string reference;
  };
  std::vector<Turn> turns;
  std::vector<generate::Request> reqs;
  std::int64_t truncated = 0;
  for (std::size_t i = static_cast<std::size_t>(comm.rank()); i < set.size(); i += static_cast<std::size_t>(comm.size())) {
    const auto& msgs = set[i].conv.messages;
    for (std::size_t j = 0; j < msgs.size(); ++j) {
      if (msgs[j].role != "gpt" && msgs[j].role != "assistant") continue;
      tokenizer::Conversation before{{msgs.begin(), msgs.begin() + static_cast<std::ptrdiff_t>(j)}, set[i].conv.tools_json};
      generate::Request r;
      for (auto t : m->tok.encode(tokenizer::render_generation_prompt(before))) r.prompt.push_back(static_cast<std::int32_t>(t));
      r.max_tokens = d.generate.max_tokens;
      r.sampling.temperature = 0;
      r.stop = {"</tool_call>"};
      truncated += gen.fit_prompt(r.prompt, r.max_tokens) > 0;
      reqs.push_back(std::move(r));
      turns.push_back({i, msgs[j].content});
    }
  }
  const auto res = gen.run(reqs);
  std::vector<std::uint64_t> counts(cats.size() * generate::kToolOutcomes, 0);
  for (std::size_t t = 0; t < turns.size(); ++t) {
    auto text = res[t].text;
    if (res[t].finish_reason == "stop") text += "</tool_call>";  // the stop string is cut; put it back
    const auto o = static_cast<std::size_t>(generate::score_turn(turns[t].reference, text));
    const auto cat = std::find(cats.begin(), cats.end(), set[turns[t].conv].category) - cats.begin();
    counts[o] += 1;
    counts[static_cast<std::size_t>(cat) * generate::kToolOutcomes + o] += 1;
  }
  counts.push_back(static_cast<std::uint64_t>(truncated));
  comm.allreduce_sum(std::span<std::uint64_t>(counts));
  generate::ToolReport report;
  for (std::size_t c = 0; c < cats.size(); ++c)
    for (std::size_t o = 0; o < generate::kToolOutcomes; ++o)
      report[cats[c]].n[o] = counts[c * generate::kToolOutcomes + o];
  log::info("tool-call evaluation: {} conversations ({}), {} assistant turns, greedy, max_tokens {}{}", set.size(),
            d.eval.tool_eval_file.empty() ? std::string("synthetic held-out") : d.expand(d.eval.tool_eval_file),
            report["all"].call_turns() + report["all"].plain_turns(), d.generate.max_tokens,
            counts.back() ? fmt::format(", {} prompts truncated to the context", counts.back()) : std::string());
  log::info("tool calls (rates in %: formed = <tool_call> closed with JSON naming a tool; calls/plain = turns "
            "whose reference makes a call / none)\n{}", generate::format_tool_table(report));
  if (comm.is_root()) {
    const std::filesystem::path out = d.expand("{run_dir}/tool_eval.json");
    nlohmann::json j = generate::tool_report_json(report);
    j["checkpoint"] = m->checkpoint.string();
    j["conversations"] = set.size();
    j["max_tokens"] = d.generate.max_tokens;
    const auto tmp = out.string() + ".tmp";
    std::ofstream(tmp) << j.dump(2) << "\n";
    std::filesystem::rename(tmp, out);
    log::info("tool-call evaluation written to {}", out.string());
  }
}

}  // namespace

void run_evaluate(StageContext& ctx) {
  const auto& d = ctx.deck;
  const auto path = checkpoint_to_use(d);
  const auto header = io::read_checkpoint_header(path);
  const std::filesystem::path tok_path = d.expand(d.tokenizer.path);
  std::string fp = header.tokenizer_fingerprint;
  if (std::filesystem::exists(tok_path)) fp = tokenizer::Tokenizer::load(tok_path).fingerprint();
  const auto model_cfg = header.model;
  const std::int64_t seq = d.train.seq_len > 0 ? std::min(d.train.seq_len, model_cfg.context_length) : model_cfg.context_length;
  // The training engine of parallel.backend (host or CUDA), holding the checkpoint's weights.
  auto engine = train::make_engine(backend::resolve(d.parallel.backend), d, ctx.comm, model_cfg,
                                   d.train.batch_size, seq);
  io::CheckpointData into;
  into.model = model_cfg;
  into.tokenizer_fingerprint = fp;
  into.weights = engine->weights();
  io::load_checkpoint(path, into, false);
  engine->push();
  log::info("evaluating {} (step {}, {} parameters) on {}", path.string(), into.state.step, engine->num_params(),
            engine->describe());
  for (const char* split : {"val", "test"}) {
    auto src = train::open_split(d, ctx.comm, split, seq, fp);
    if (!src) continue;
    const auto r = train::evaluate(*engine, *src, d.eval.batches, ctx.comm);
    log::info("{:<4} loss {:.4f} | accuracy {:.2f}% | perplexity {:.2f} | {} tokens", split, r.loss,
              100.0 * r.accuracy, r.perplexity, r.tokens);
  }
  if (d.eval.tool_eval) tool_eval(ctx);
}

}  // namespace hermes::stages
