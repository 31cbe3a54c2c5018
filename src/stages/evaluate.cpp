// The `evaluate` stage: loss, token accuracy and perplexity of a checkpoint on val and test.
#include <fstream>

#include "hermes/backend/select.hpp"
#include "hermes/core/progress.hpp"
#include "hermes/core/durable.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/files.hpp"
#include "hermes/core/log.hpp"
#include "hermes/data/random.hpp"
#include "hermes/data/synth.hpp"
#include "hermes/generate/load.hpp"
#include "hermes/generate/agent.hpp"
#include "hermes/generate/tool_eval.hpp"
#include "hermes/tokenizer/chat_template.hpp"
#include "hermes/io/checkpoint.hpp"
#include "hermes/stages/stage.hpp"
#include "hermes/tokenizer/tokenizer.hpp"
#include "hermes/train/loader_source.hpp"
#include "hermes/train/trainer.hpp"

namespace hermes::stages {

// The checkpoint to evaluate: generate.checkpoint when set, else the run's final, else latest.
namespace {

struct EvalConversation {
  tokenizer::Conversation conv;
  std::string category;
};

// The conversations to score: eval.tool_eval_file, else the synthetic held-out set (or, with
// `paraphrased`, the held-out set worded by templates the corpus never uses).
std::vector<EvalConversation> tool_eval_set(const deck::Deck& d, bool paraphrased) {
  std::vector<EvalConversation> out;
  const auto max = static_cast<std::size_t>(d.eval.tool_eval_max);
  if (d.eval.tool_eval_file.empty() || paraphrased) {
    const auto seed = data::derive_seed(static_cast<std::uint64_t>(d.run.seed), "synth");
    for (std::size_t i = 0; i < max; ++i) {
      const auto j =
          paraphrased ? data::synth_paraphrased_conversation(seed, i) : data::synth_heldout_conversation(seed, i);
      out.push_back({tokenizer::conversation_from_sharegpt(j.dump(), "held-out " + std::to_string(i)),
                     j.value("scenario_category", "unlabelled")});
    }
    return out;
  }
  const std::filesystem::path path = d.expand(d.eval.tool_eval_file);
  reject_special_file(path, "give a ShareGPT JSONL file to eval.tool_eval_file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail(
        "{}: {} cannot be read; give a ShareGPT JSONL file or leave eval.tool_eval_file empty for the "
        "synthetic held-out set",
        d.where("eval.tool_eval_file"), path.string());
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

// "all", then the set's scenario categories in order of first appearance (the same on every rank).
std::vector<std::string> categories_of(const std::vector<EvalConversation>& set) {
  std::vector<std::string> cats{"all"};
  for (const auto& c : set)
    if (std::find(cats.begin(), cats.end(), c.category) == cats.end()) cats.push_back(c.category);
  return cats;
}

// Rank 0 writes every rank's transcripts (one JSON object per line, in case order) to `path`.
void write_transcripts(const std::filesystem::path& path, const std::vector<nlohmann::json>& mine,
                       const dist::Communicator& comm) {
  std::vector<nlohmann::json> all;
  for (int r = 0; r < comm.size(); ++r) {
    std::string text = comm.rank() == r ? nlohmann::json(mine).dump() : std::string();
    comm.broadcast(text, r);
    if (comm.is_root())
      for (auto& t : nlohmann::json::parse(text)) all.push_back(std::move(t));
  }
  if (!comm.is_root()) return;
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a["case"] < b["case"]; });
  std::string text;
  for (const auto& t : all) text += t.dump() + "\n";
  write_file_durably(path, text);
  log::info("agent transcripts written to {}", path.string());
}

// Replays the held-out conversations as an agent (generate/agent.hpp), each rank its share;
// returns the report for tool_eval.json and writes every transcript to agent_eval.jsonl.
nlohmann::json agent_eval(StageContext& ctx, const std::vector<EvalConversation>& set, const std::string& label,
                          generate::Generator& gen, const tokenizer::Tokenizer& tok) {
  const auto& d = ctx.deck;
  const auto& comm = ctx.comm;
  std::vector<generate::AgentCase> mine;
  for (std::size_t i = static_cast<std::size_t>(comm.rank()); i < set.size();
       i += static_cast<std::size_t>(comm.size()))
    mine.push_back({set[i].conv, set[i].category});
  std::uint64_t truncated = 0;
  std::vector<nlohmann::json> transcripts;
  Progress progress("agent evaluation (" + label + ")", "conversations", static_cast<std::int64_t>(mine.size()));
  const auto local = generate::run_agent_eval(generate::greedy_turn_writer(gen, tok, d.generate.max_tokens, &truncated),
                                              mine, static_cast<int>(d.eval.agent_max_rounds), &transcripts, &progress);
  // Every rank holds the same category names (the whole set is known everywhere) in the same order.
  const auto cats = categories_of(set);
  std::vector<std::uint64_t> counts;
  for (const auto& c : cats) {
    const auto it = local.find(c);
    const generate::AgentTally t = it == local.end() ? generate::AgentTally{} : it->second;
    counts.insert(counts.end(), {t.conversations, t.conversations_solved, t.requests, t.requests_solved, t.tool_calls,
                                 t.tool_errors});
  }
  counts.push_back(truncated);
  comm.allreduce_sum(std::span<std::uint64_t>(counts));
  generate::AgentReport report;
  for (std::size_t c = 0; c < cats.size(); ++c) {
    const auto* n = &counts[c * 6];
    report[cats[c]] = {n[0], n[1], n[2], n[3], n[4], n[5]};
  }
  for (auto& t : transcripts)  // rank r holds cases r, r + R, r + 2R, ...
    t["case"] =
        static_cast<std::size_t>(comm.rank()) + t["case"].get<std::size_t>() * static_cast<std::size_t>(comm.size());
  log::info(
      "agent evaluation ({}): each conversation replayed with the model's own turns and tool calls executed by the "
      "synthetic backends (at most {} turns per request; solved = the answer states every fact the reference "
      "took from a tool, or no call where none fits){}\n{}",
      label, d.eval.agent_max_rounds,
      counts.back() ? fmt::format("; {} prompts truncated to the context", counts.back()) : std::string(),
      generate::format_agent_table(report));
  write_transcripts(
      d.expand(label == "paraphrased" ? "{run_dir}/agent_eval_paraphrased.jsonl" : "{run_dir}/agent_eval.jsonl"),
      transcripts, comm);
  auto j = generate::agent_report_json(report);
  j["prompts_truncated"] = counts.back();
  j["max_rounds"] = d.eval.agent_max_rounds;
  return j;
}

// Generates every assistant turn of the conversations (greedy) and scores it; then, with
// eval.agent_eval, replays them as an agent. Returns what tool_eval.json holds for the set.
nlohmann::json tool_eval(StageContext& ctx, generate::LoadedModel& model, const std::vector<EvalConversation>& set,
                         const std::string& label) {
  const auto& d = ctx.deck;
  const auto& comm = ctx.comm;
  const auto cats = categories_of(set);
  auto& gen = *model.generator;
  // Every assistant turn of this rank's conversations, generated from the reference before it.
  std::vector<std::size_t> conv_of;
  std::vector<const std::string*> reference;
  std::vector<tokenizer::Conversation> before;
  for (std::size_t i = static_cast<std::size_t>(comm.rank()); i < set.size();
       i += static_cast<std::size_t>(comm.size())) {
    const auto& msgs = set[i].conv.messages;
    for (std::size_t j = 0; j < msgs.size(); ++j) {
      if (tokenizer::parse_role(msgs[j].role) != tokenizer::Role::assistant) continue;
      before.push_back({{msgs.begin(), msgs.begin() + static_cast<std::ptrdiff_t>(j)}, set[i].conv.tools_json});
      conv_of.push_back(i);
      reference.push_back(&msgs[j].content);
    }
  }
  std::vector<const tokenizer::Conversation*> prompts;
  for (const auto& b : before) prompts.push_back(&b);
  std::uint64_t truncated = 0;
  Progress progress("tool-call evaluation (" + label + ")", "turns", static_cast<std::int64_t>(prompts.size()));
  const auto texts =
      generate::greedy_turn_writer(gen, model.tok, d.generate.max_tokens, &truncated, &progress)(prompts);
  std::vector<std::uint64_t> counts(cats.size() * generate::kToolOutcomes, 0);
  for (std::size_t t = 0; t < texts.size(); ++t) {
    const auto o = static_cast<std::size_t>(generate::score_turn(*reference[t], texts[t]));
    const auto cat = std::find(cats.begin(), cats.end(), set[conv_of[t]].category) - cats.begin();
    counts[o] += 1;
    counts[static_cast<std::size_t>(cat) * generate::kToolOutcomes + o] += 1;
  }
  counts.push_back(truncated);
  comm.allreduce_sum(std::span<std::uint64_t>(counts));
  generate::ToolReport report;
  for (std::size_t c = 0; c < cats.size(); ++c)
    for (std::size_t o = 0; o < generate::kToolOutcomes; ++o)
      report[cats[c]].n[o] = counts[c * generate::kToolOutcomes + o];
  log::info("tool-call evaluation: {} conversations ({}), {} assistant turns, greedy, max_tokens {}{}", set.size(),
            label, report["all"].call_turns() + report["all"].plain_turns(), d.generate.max_tokens,
            counts.back() ? fmt::format(", {} prompts truncated to the context", counts.back()) : std::string());
  log::info(
      "tool calls (rates in %: formed = <tool_call> closed with JSON naming a tool; calls/plain = turns "
      "whose reference makes a call / none)\n{}",
      generate::format_tool_table(report));
  nlohmann::json j = generate::tool_report_json(report);
  j["conversations"] = set.size();
  j["max_tokens"] = d.generate.max_tokens;
  if (d.eval.agent_eval) j["agent"] = agent_eval(ctx, set, label, gen, model.tok);
  return j;
}

// The tool-call (and agent) evaluation of every set the deck asks for, into tool_eval.json: the
// held-out set (or eval.tool_eval_file) at the top level, the paraphrased set under "paraphrased".
void tool_evals(StageContext& ctx) {
  const auto& d = ctx.deck;
  auto m = generate::load_model(d, 8, ctx.comm.local_rank());
  const std::string label =
      d.eval.tool_eval_file.empty() ? std::string("synthetic held-out") : d.expand(d.eval.tool_eval_file);
  nlohmann::json j = tool_eval(ctx, *m, tool_eval_set(d, false), label);
  j["checkpoint"] = m->checkpoint.string();
  if (d.eval.paraphrased) j["paraphrased"] = tool_eval(ctx, *m, tool_eval_set(d, true), "paraphrased");
  if (ctx.comm.is_root()) {
    const std::filesystem::path out = d.expand("{run_dir}/tool_eval.json");
    write_file_durably(out, j.dump(2) + "\n");
    log::info("tool-call evaluation written to {}", out.string());
  }
}

}  // namespace

void run_evaluate(StageContext& ctx) {
  const auto& d = ctx.deck;
  const auto path = io::checkpoint_to_use(d);
  const auto header = io::read_checkpoint_header(path);
  const std::filesystem::path tok_path = d.expand(d.tokenizer.path);
  std::string fp = header.tokenizer_fingerprint;
  if (std::filesystem::exists(tok_path)) fp = tokenizer::Tokenizer::load(tok_path).fingerprint();
  const auto model_cfg = header.model;
  const std::int64_t seq =
      d.train.seq_len > 0 ? std::min(d.train.seq_len, model_cfg.context_length) : model_cfg.context_length;
  // The training engine of parallel.backend (host or CUDA), holding the checkpoint's weights.
  auto engine =
      train::make_engine(backend::resolve(d.parallel.backend), d, ctx.comm, model_cfg, d.train.batch_size, seq);
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
    log::info("{:<4} loss {:.4f} | accuracy {:.2f}% | perplexity {:.2f} | {} tokens", split, r.loss, 100.0 * r.accuracy,
              r.perplexity, r.tokens);
  }
  if (d.eval.tool_eval) tool_evals(ctx);
}

}  // namespace hermes::stages
