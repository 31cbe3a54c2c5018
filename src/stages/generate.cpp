// The `generate` stage: offline batch generation (see docs/generation.md). Every rank reads and
// tokenizes all prompts; records go in groups of kGroup consecutive records, group g to rank
// g % ranks, so a record is computed the same way whatever the rank count. Rank 0 appends the
// finished records in input order to <output>.partial after each round (resume point) and
// renames it to the output at the end.
#include <chrono>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "hermes/core/error.hpp"
#include "hermes/core/progress.hpp"
#include "hermes/core/files.hpp"
#include "hermes/core/log.hpp"
#include "hermes/dist/stop_signal.hpp"
#include "hermes/data/random.hpp"
#include "hermes/data/synth.hpp"
#include "hermes/generate/load.hpp"
#include "hermes/generate/prompts.hpp"
#include "hermes/stages/stage.hpp"
#include "hermes/tokenizer/chat_template.hpp"

namespace hermes::stages {

namespace {

constexpr std::size_t kGroup = 8;

struct Item {
  nlohmann::json id;
  std::string where;   // file:line, for messages
  std::string prompt;  // the text the model continues
  std::string error;   // a malformed line: reported, and recorded instead of a completion
  std::vector<std::int32_t> ids;
  std::int64_t dropped = 0;
};

std::vector<Item> read_items(const deck::Deck& d) {
  std::vector<Item> items;
  const auto& g = d.generate;
  if (!g.prompt.empty()) {
    items.push_back({0, "generate.prompt", g.prompt, "", {}, 0});
    return items;
  }
  if (g.prompts_file.empty()) {
    // Fallback: held-out synthetic conversations, cut before their first assistant turn.
    const auto seed = data::derive_seed(static_cast<std::uint64_t>(d.run.seed), "synth");
    const auto n = static_cast<std::uint64_t>(std::max<std::int64_t>(g.samples, 1));
    for (std::uint64_t i = 0; i < n; ++i) {
      const auto rec = data::synth_heldout_conversation(seed, i).dump();
      auto c = tokenizer::conversation_from_sharegpt(rec, "held-out " + std::to_string(i));
      for (std::size_t m = 0; m < c.messages.size(); ++m)
        if (c.messages[m].role == "gpt") {
          c.messages.resize(m);
          break;
        }
      items.push_back({"heldout-" + std::to_string(i),
                       "held-out " + std::to_string(i),
                       tokenizer::render_generation_prompt(c),
                       "",
                       {},
                       0});
    }
    return items;
  }
  const std::filesystem::path path = d.expand(g.prompts_file);
  reject_special_file(path, "give a JSONL prompts file (generate.prompts_file or --prompts-file)");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail(
        "{}: prompts file {} cannot be read; give a JSONL file with one {{\"prompt\": ...}} or ShareGPT "
        "record per line",
        d.where("generate.prompts_file"), path.string());
  std::string line;
  for (std::int64_t no = 1; std::getline(in, line); ++no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Item it;
    it.id = no;
    it.where = path.string() + ":" + std::to_string(no);
    try {
      auto parsed = generate::parse_prompt_line(line, it.where);
      if (!parsed.id.is_null()) it.id = std::move(parsed.id);
      it.prompt = std::move(parsed.prompt);
    } catch (const Error& e) {
      it.error = e.what();
      it.prompt.clear();
    }
    items.push_back(std::move(it));
  }
  if (items.empty()) fail("{}: prompts file {} holds no prompts", d.where("generate.prompts_file"), path.string());
  return items;
}

// Complete records already in a partial output (a torn last line is dropped).
std::size_t resume_point(const std::filesystem::path& partial) {
  std::ifstream in(partial, std::ios::binary);
  if (!in) return 0;
  std::string line, kept;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline: torn
    if (nlohmann::json::parse(line, nullptr, false).is_discarded()) break;
    kept += line + "\n";
    ++n;
  }
  in.close();
  std::ofstream(partial, std::ios::binary | std::ios::trunc) << kept;
  return n;
}

}  // namespace

void run_generate(StageContext& ctx) {
  const auto& d = ctx.deck;
  const auto& g = d.generate;
  const auto& comm = ctx.comm;
  auto items = read_items(d);
  auto m = generate::load_model(d, kGroup, comm.local_rank());
  auto& gen = *m->generator;
  const std::int64_t ctx_len = m->header.model.context_length;
  for (auto& it : items) {
    if (!it.error.empty()) {
      if (comm.is_root())
        log::warn("{}; the line is skipped (an error record keeps its place in the output)", it.error);
      continue;
    }
    for (auto t : m->tok.encode_chat(it.prompt)) it.ids.push_back(static_cast<std::int32_t>(t));
    if (it.ids.empty()) it.ids.push_back(gen.end_id());
    const auto n = it.ids.size();
    it.dropped = gen.fit_prompt(it.ids, g.max_tokens);
    if (it.dropped > 0) {
      if (g.prompt_overflow == "error")
        fail(
            "{}: prompt of {} tokens does not fit the context of {} with max_tokens = {}; shorten it or set "
            "generate.prompt_overflow = \"truncate\"",
            it.where, n, ctx_len, g.max_tokens);
      if (comm.is_root())
        log::warn("{}: prompt of {} tokens truncated from the left to {} (context {}, max_tokens {})", it.where, n,
                  it.ids.size(), ctx_len, g.max_tokens);
    }
  }
  const auto base_seed = g.seed > 0 ? static_cast<std::uint64_t>(g.seed)
                                    : data::derive_seed(static_cast<std::uint64_t>(d.run.seed), "generate");
  const std::filesystem::path out_path = d.expand(g.output_file);
  const std::filesystem::path partial = out_path.string() + ".partial";
  std::string done_text = "0";
  if (comm.is_root()) {
    if (!out_path.parent_path().empty()) std::filesystem::create_directories(out_path.parent_path());
    done_text = std::to_string(std::min(resume_point(partial), items.size()));
  }
  comm.broadcast(done_text);
  const std::size_t done = std::stoul(done_text);
  if (done > 0) log::info("generate: resuming after {} records already in {}", done, partial.string());

  log::info("generate: {} prompts from {} (step {}), {} ranks, max_tokens {}, temperature {}, top_k {}, top_p {}",
            items.size(), m->checkpoint.string(), m->header.state.step, comm.size(), g.max_tokens, g.temperature,
            g.top_k, g.top_p);
  const std::size_t groups = (items.size() - done + kGroup - 1) / kGroup;
  const auto size = static_cast<std::size_t>(comm.size()), rank = static_cast<std::size_t>(comm.rank());
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t written = 0, tokens = 0;
  Progress progress("generate", "records", static_cast<std::int64_t>(items.size()), static_cast<std::int64_t>(done));
  std::vector<nlohmann::json> samples;
  for (std::size_t round = 0; round * size < groups; ++round) {
    std::string mine;
    std::uint64_t my_tokens = 0;
    const std::size_t grp = round * size + rank;
    if (grp < groups) {
      const std::size_t lo = done + grp * kGroup, hi = std::min(items.size(), lo + kGroup);
      std::vector<generate::Request> reqs;
      std::vector<std::size_t> idx;
      for (std::size_t i = lo; i < hi; ++i) {
        if (!items[i].error.empty()) continue;
        generate::Request r;
        r.prompt = items[i].ids;
        r.max_tokens = g.max_tokens;
        r.sampling = {g.temperature, g.top_k, g.top_p};
        r.seed = data::derive_seed(base_seed, static_cast<std::uint64_t>(i));
        r.stop = g.stop;
        reqs.push_back(std::move(r));
        idx.push_back(i);
      }
      const auto res = gen.run(reqs);
      std::size_t k = 0;
      for (std::size_t i = lo; i < hi; ++i) {
        const auto& it = items[i];
        nlohmann::ordered_json j;  // fields in the documented order, id first
        j["id"] = it.id;
        if (!it.error.empty()) {
          j["error"] = it.error;
        } else {
          const auto& r = res[k];
          j["prompt"] = it.prompt;
          j["completion"] = r.text;
          j["prompt_tokens"] = it.ids.size();
          j["completion_tokens"] = r.tokens.size();
          j["completion_ids"] = r.tokens;
          j["prompt_tokens_dropped"] = it.dropped;
          j["finish_reason"] = r.finish_reason;
          j["sampling"] = {{"temperature", g.temperature},
                           {"top_k", g.top_k},
                           {"top_p", g.top_p},
                           {"max_tokens", g.max_tokens},
                           {"seed", reqs[k].seed}};
          my_tokens += r.tokens.size();
          ++k;
        }
        mine += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
      }
    }
    // Rank 0 collects the round's groups in rank order, which is input order.
    std::string all = comm.is_root() ? mine : std::string();
    for (int r = 1; r < comm.size(); ++r) {
      std::string part = comm.rank() == r ? mine : std::string();
      comm.broadcast(part, r);
      if (comm.is_root()) all += part;
    }
    std::uint64_t tk = my_tokens;
    comm.allreduce_sum(std::span<std::uint64_t>(&tk, 1));
    tokens += tk;
    if (comm.is_root()) {
      std::ofstream out(partial, std::ios::binary | std::ios::app);
      out << all;
      out.flush();
      if (!out) fail_environment("cannot write {}; check the disk and the folder's permissions", partial.string());
      std::istringstream lines(all);
      std::string line;
      while (std::getline(lines, line)) {
        ++written;
        if (samples.size() < static_cast<std::size_t>(g.samples)) samples.push_back(nlohmann::json::parse(line));
      }
    } else {
      written += std::min(items.size() - done, (round + 1) * size * kGroup) - round * size * kGroup;
    }
    progress.set(static_cast<std::int64_t>(done + written));
    const int sig = dist::agreed_stop_signal(comm);
    if (sig != 0 && done + written < items.size())
      throw CollectiveExit(
          fmt::format("stopped by {} after {} of {} records, which are in {}; run the same command "
                      "again to continue (exit code {})",
                      stop_signal_name(sig), done + written, items.size(), partial.string(), kExitStopped),
          kExitStopped);
  }
  if (comm.is_root()) {
    std::ofstream(partial, std::ios::binary | std::ios::app).flush();  // exists even when nothing was left
    std::filesystem::rename(partial, out_path);
  }
  comm.barrier();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  log::info("generate: {} records in {} ({:.1f} tokens/s)", items.size(), out_path.string(),
            static_cast<double>(tokens) / std::max(secs, 1e-9));
  for (const auto& s : samples) {
    if (s.contains("error")) continue;
    const auto p = s["prompt"].get<std::string>();
    log::info("--- sample {} ---\n[prompt] ...{}\n[completion] {}", s["id"].dump(),
              p.size() > 160 ? p.substr(p.size() - 160) : p, s["completion"].get<std::string>());
  }
}

}  // namespace hermes::stages
