// The prepare pipeline with a byte-level stand-in encoder: splits, shard contents, loss masks,
// reuse and invalidation, bad records.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "../support/data_stand_in.hpp"
#include "../support/temp_dir.hpp"
#include "hermes/core/error.hpp"
#include "hermes/data/loader.hpp"
#include "hermes/data/prepare.hpp"
#include "hermes/data/random.hpp"
#include "hermes/data/shard.hpp"
#include "hermes/data/synth.hpp"
#include "hermes/dist/communicator.hpp"

using namespace hermes::data;
using namespace hermes::test;
using nlohmann::json;

namespace {

// Random "words" documents, one text file with blank-line separators.
std::vector<std::string> write_text_corpus(const TempDir& dir, const std::string& name, int docs, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::string> out;
  std::string file;
  for (int d = 0; d < docs; ++d) {
    std::string doc = "doc" + std::to_string(seed) + "-" + std::to_string(d);
    const auto words = rng.range(1, 60);
    for (std::int64_t w = 0; w < words; ++w) doc += (rng.below(12) == 0 ? "\n" : " ") + std::to_string(rng.below(1000));
    out.push_back(doc);
    file += doc + "\n\n";
  }
  dir.write(name, file);
  return out;
}

struct SplitContents {
  std::vector<std::string> docs;  // decoded, without the end token
  std::vector<std::uint64_t> shard_tokens;
};

std::map<std::string, SplitContents> read_back(const std::filesystem::path& out) {
  std::map<std::string, SplitContents> r;
  const json m = read_manifest(out);
  for (const auto& split : kSplits) {
    for (const auto& s : m["splits"][split]["shards"]) {
      ShardHeader h;
      const ShardData d = read_shard(out / s["file"].get<std::string>(), &h);
      EXPECT_EQ(h.split, split);
      r[split].shard_tokens.push_back(d.tokens.size());
      for (std::size_t k = 0; k + 1 < d.doc_offsets.size(); ++k) {
        std::string text;
        for (auto i = d.doc_offsets[k]; i < d.doc_offsets[k + 1]; ++i) {
          if (i + 1 == d.doc_offsets[k + 1])
            EXPECT_EQ(d.tokens[i], kEnd) << "every document ends with the end token";
          else
            text += static_cast<char>(d.tokens[i]);
        }
        r[split].docs.push_back(text);
      }
    }
  }
  return r;
}

PrepareOptions text_options(const TempDir& dir, std::vector<std::string> inputs) {
  PrepareOptions o;
  o.inputs = std::move(inputs);
  o.output_dir = dir / "data";
  o.shard_tokens = 2000;
  o.seed = 42;
  return o;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(DataPrepare, SplitProportionsAreExactAndSeeded) {
  const auto a = assign_splits(10000, 0.10, 0.01, 1.0, 7);
  std::map<Split, int> n;
  for (auto s : a) n[s]++;
  EXPECT_EQ(n[Split::train], 8900);
  EXPECT_EQ(n[Split::val], 1000);
  EXPECT_EQ(n[Split::test], 100);
  EXPECT_EQ(a, assign_splits(10000, 0.10, 0.01, 1.0, 7));
  const auto b = assign_splits(10000, 0.10, 0.01, 1.0, 8);
  int moved = 0;
  for (std::size_t i = 0; i < a.size(); ++i) moved += a[i] != b[i];
  EXPECT_GT(moved, 1000) << "another seed gives another split";
  // The val documents are spread over the corpus, not a block at one end.
  int first_half = 0;
  for (std::size_t i = 0; i < 5000; ++i) first_half += a[i] == Split::val;
  EXPECT_GT(first_half, 400);
  EXPECT_LT(first_half, 600);

  std::map<Split, int> h;
  for (auto s : assign_splits(10000, 0.10, 0.01, 0.5, 7)) h[s]++;
  EXPECT_EQ(h[Split::unused], 5000);
  EXPECT_EQ(h[Split::train], 4450);
  EXPECT_EQ(h[Split::val], 500);
  EXPECT_EQ(h[Split::test], 50);

  std::map<Split, int> tiny;
  for (auto s : assign_splits(5, 0.10, 0.01, 1.0, 7)) tiny[s]++;
  EXPECT_EQ(tiny[Split::val], 1);
  EXPECT_EQ(tiny[Split::test], 1);
  EXPECT_EQ(tiny[Split::train], 3);
}

TEST(DataPrepare, ShardsHoldEveryDocumentOnceInOrder) {
  TempDir dir;
  const auto docs_a = write_text_corpus(dir, "a.txt", 300, 1);
  const auto docs_b = write_text_corpus(dir, "b.txt", 200, 2);
  const auto comm = hermes::dist::Communicator::world();
  const auto o = text_options(dir, {(dir / "a.txt").string(), (dir / "b.txt").string()});
  const PrepareResult r = prepare_dataset(o, stand_in_encoder(), comm);
  EXPECT_FALSE(r.reused);
  EXPECT_EQ(r.documents, 500u);

  std::vector<std::string> all = docs_a;
  all.insert(all.end(), docs_b.begin(), docs_b.end());
  const auto split = assign_splits(all.size(), o.val_fraction, o.test_fraction, 1.0, o.seed);
  const auto back = read_back(o.output_dir);
  for (int s = 0; s < 3; ++s) {
    std::vector<std::string> expect;
    for (std::size_t d = 0; d < all.size(); ++d)
      if (split[d] == static_cast<Split>(s)) expect.push_back(all[d]);
    const auto& got = back.count(kSplits[s]) ? back.at(kSplits[s]).docs : std::vector<std::string>{};
    EXPECT_EQ(got, expect) << kSplits[s];
    EXPECT_EQ(r.splits.at(kSplits[s]).documents, expect.size());
  }
  // Shards close once they reach shard_tokens: all but the last of a split hold at least that.
  const auto& train = back.at("train").shard_tokens;
  ASSERT_GT(train.size(), 2u);
  for (std::size_t i = 0; i + 1 < train.size(); ++i) {
    EXPECT_GE(train[i], o.shard_tokens);
    EXPECT_LT(train[i], o.shard_tokens + 1000);
  }
  EXPECT_FALSE(std::filesystem::exists(o.output_dir / ".prepare-tmp"));
  const json m = read_manifest(o.output_dir);
  EXPECT_EQ(m["tokenizer"]["fingerprint"], "stand-in-bytes-v1");
  EXPECT_EQ(m["token_dtype"], "uint16");
  EXPECT_EQ(m["inputs"].size(), 2u);
}

TEST(DataPrepare, LossMaskCoversExactlyTheAssistantSpans) {
  TempDir dir;
  const auto corpus = dir / "synth.jsonl";
  write_synth_corpus(corpus, 5, 150);
  // Expected masked tokens from the source, read independently: each gpt message's bytes + its end token.
  std::uint64_t expect_masked = 0, records = 0;
  {
    std::ifstream in(corpus);
    for (std::string line; std::getline(in, line); ++records) {
      const json record = json::parse(line);
      for (const auto& m : record["conversations"])
        if (m["from"] == "gpt") expect_masked += m["value"].get<std::string>().size() + 1;
    }
  }
  auto o = text_options(dir, {corpus.string()});
  o.corpus.format = "sharegpt";
  o.assistant_mask = true;
  const auto comm = hermes::dist::Communicator::world();
  prepare_dataset(o, stand_in_encoder(), comm);
  const json m = read_manifest(o.output_dir);
  EXPECT_TRUE(m["has_loss_mask"].get<bool>());
  std::uint64_t masked = 0, docs = 0;
  for (const auto& split : kSplits) {
    for (const auto& s : m["splits"][split]["shards"]) {
      const ShardData d = read_shard(o.output_dir / s["file"].get<std::string>());
      ASSERT_EQ(d.loss_mask.size(), d.tokens.size());
      for (std::size_t k = 0; k + 1 < d.doc_offsets.size(); ++k, ++docs) {
        bool in_assistant = false;
        for (auto i = d.doc_offsets[k]; i < d.doc_offsets[k + 1]; ++i) {
          const auto t = d.tokens[i];
          std::uint8_t expect = 0;
          if (t == kAssistant)
            in_assistant = true;  // the role marker itself is not the assistant's text
          else if (in_assistant)
            expect = 1;
          if (t == kEnd) in_assistant = false;
          if (t == kSystem || t == kUser || t == kTool) ASSERT_FALSE(in_assistant);
          ASSERT_EQ(d.loss_mask[i], expect) << "token " << i << " of document " << k << " in " << s["file"];
          masked += d.loss_mask[i];
        }
      }
    }
  }
  EXPECT_EQ(docs, records);
  EXPECT_EQ(masked, expect_masked);
}

TEST(DataPrepare, ReusesUnchangedShardsAndRebuildsOnChange) {
  TempDir dir;
  write_text_corpus(dir, "a.txt", 120, 3);
  const auto comm = hermes::dist::Communicator::world();
  auto o = text_options(dir, {(dir / "a.txt").string()});
  EXPECT_FALSE(prepare_dataset(o, stand_in_encoder(), comm).reused);
  const auto again = prepare_dataset(o, stand_in_encoder(), comm);
  EXPECT_TRUE(again.reused);
  EXPECT_EQ(again.splits.at("train").documents + again.splits.at("val").documents + again.splits.at("test").documents,
            120u);

  const auto other = prepare_dataset(o, stand_in_encoder(261, "another-tokenizer"), comm);
  EXPECT_FALSE(other.reused);
  EXPECT_NE(other.rebuild_reason.find("tokenizer changed"), std::string::npos) << other.rebuild_reason;
  EXPECT_EQ(read_manifest(o.output_dir)["tokenizer"]["fingerprint"], "another-tokenizer");

  // Same size, different content: the hash notices.
  std::string text;
  {
    std::ifstream in(dir / "a.txt");
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  text[5] = text[5] == 'x' ? 'y' : 'x';
  dir.write("a.txt", text);
  const auto changed = prepare_dataset(o, stand_in_encoder(261, "another-tokenizer"), comm);
  EXPECT_FALSE(changed.reused);
  EXPECT_NE(changed.rebuild_reason.find("a.txt changed"), std::string::npos) << changed.rebuild_reason;

  o.shard_tokens = 5000;
  const auto resharded = prepare_dataset(o, stand_in_encoder(261, "another-tokenizer"), comm);
  EXPECT_NE(resharded.rebuild_reason.find("data.shard_tokens changed"), std::string::npos) << resharded.rebuild_reason;
  // Old shards that the new layout does not use are gone.
  std::set<std::string> listed;
  const json m = read_manifest(o.output_dir);
  for (const auto& split : kSplits)
    for (const auto& s : m["splits"][split]["shards"]) listed.insert(s["file"]);
  for (const auto& e : std::filesystem::directory_iterator(o.output_dir))
    if (e.path().extension() == ".h5") EXPECT_TRUE(listed.count(e.path().filename().string())) << e.path();
}

TEST(DataPrepare, BadRecordsFailWithFileAndLineOrAreSkipped) {
  TempDir dir;
  std::string lines;
  for (int i = 0; i < 40; ++i)
    lines += (i == 17 ? std::string("{\"text\": oops}") : json{{"text", "doc " + std::to_string(i)}}.dump()) + "\n";
  const auto f = dir.write("c.jsonl", lines);
  auto o = text_options(dir, {f});
  o.corpus.format = "jsonl";
  const auto comm = hermes::dist::Communicator::world();
  const std::string e = error_of([&] { prepare_dataset(o, stand_in_encoder(), comm); });
  EXPECT_NE(e.find("c.jsonl:18:"), std::string::npos) << e;
  EXPECT_FALSE(std::filesystem::exists(o.output_dir / kManifestName)) << "a failed prepare leaves no manifest";

  o.corpus.skip_bad_records = true;
  const auto r = prepare_dataset(o, stand_in_encoder(), comm);
  EXPECT_EQ(r.skipped_records, 1u);
  std::uint64_t docs = 0;
  for (const auto& [name, s] : r.splits) docs += s.documents;
  EXPECT_EQ(docs, 39u);

  o.corpus.text_field = "body";
  o.corpus.skip_bad_records = false;
  const std::string missing = error_of([&] { prepare_dataset(o, stand_in_encoder(), comm); });
  EXPECT_NE(missing.find("no field 'body'"), std::string::npos) << missing;

  o.inputs = {(dir / "nope.jsonl").string()};
  const std::string absent = error_of([&] { prepare_dataset(o, stand_in_encoder(), comm); });
  EXPECT_NE(absent.find("nope.jsonl does not exist"), std::string::npos) << absent;
}

TEST(DataPrepare, LoaderRefusesShardsOfAnotherTokenizer) {
  TempDir dir;
  write_text_corpus(dir, "a.txt", 200, 4);
  const auto comm = hermes::dist::Communicator::world();
  const auto o = text_options(dir, {(dir / "a.txt").string()});
  prepare_dataset(o, stand_in_encoder(), comm);
  LoaderOptions lo;
  lo.dataset_dir = o.output_dir;
  lo.seq_len = 16;
  lo.tokenizer_fingerprint = "stand-in-bytes-v1";
  EXPECT_NO_THROW(Loader{lo});
  lo.tokenizer_fingerprint = "something-else";
  const std::string e = error_of([&] { Loader l(lo); });
  EXPECT_NE(e.find("another tokenizer"), std::string::npos) << e;
}
