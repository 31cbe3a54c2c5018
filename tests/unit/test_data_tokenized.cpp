// Prepare with the real tokenizer (the trained fixture): the loss mask decodes to exactly the
// assistant turns, each closed by its end token; text documents decode to themselves.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "../support/temp_dir.hpp"
#include "hermes/data/prepare.hpp"
#include "hermes/data/shard.hpp"
#include "hermes/data/synth.hpp"
#include "hermes/data/tokenizer_encoder.hpp"
#include "hermes/dist/communicator.hpp"
#include "hermes/tokenizer/tokenizer.hpp"

using namespace hermes::data;
using nlohmann::json;

namespace {
const std::string kTokenizer =
    std::string(HERMES_SOURCE_DIR) + "/tests/fixtures/tokenizer/hermes-trained/tokenizer.json";
}

TEST(DataTokenized, AssistantMaskDecodesToTheAssistantTurns) {
  hermes::test::TempDir dir;
  const auto tok = hermes::tokenizer::Tokenizer::load(kTokenizer);
  write_synth_corpus(dir / "c.jsonl", 21, 80);
  PrepareOptions o;
  o.inputs = {(dir / "c.jsonl").string()};
  o.corpus.format = "sharegpt";
  o.assistant_mask = true;
  o.output_dir = dir / "data";
  o.val_fraction = o.test_fraction = 0;  // every record in train, in file order
  o.shard_tokens = 4096;
  prepare_dataset(o, tokenizer_encoder(tok), hermes::dist::Communicator::world());

  std::vector<std::string> expected;  // per record: the gpt turns, each + "<|endoftext|>"
  {
    std::ifstream in(dir / "c.jsonl");
    for (std::string line; std::getline(in, line);) {
      const json r = json::parse(line);
      std::string a;
      for (const auto& m : r["conversations"])
        if (m["from"] == "gpt") a += m["value"].get<std::string>() + "<|endoftext|>";
      expected.push_back(a);
    }
  }
  const json m = read_manifest(o.output_dir);
  EXPECT_EQ(m["tokenizer"]["fingerprint"], tok.fingerprint());
  std::size_t doc = 0;
  const auto end = tok.special_id("<|endoftext|>");
  for (const auto& s : m["splits"]["train"]["shards"]) {
    const ShardData d = read_shard(o.output_dir / s["file"].get<std::string>());
    for (std::size_t k = 0; k + 1 < d.doc_offsets.size(); ++k, ++doc) {
      std::vector<hermes::tokenizer::TokenId> masked;
      for (auto i = d.doc_offsets[k]; i < d.doc_offsets[k + 1]; ++i)
        if (d.loss_mask[i]) masked.push_back(d.tokens[i]);
      ASSERT_LT(doc, expected.size());
      EXPECT_EQ(tok.decode(masked), expected[doc]) << "record " << doc;
      EXPECT_EQ(d.tokens[d.doc_offsets[k + 1] - 1], end);
    }
  }
  EXPECT_EQ(doc, expected.size());
}

TEST(DataTokenized, TextDocumentsDecodeToThemselves) {
  hermes::test::TempDir dir;
  const auto tok = hermes::tokenizer::Tokenizer::load(kTokenizer);
  const std::vector<std::string> docs = {"The river ran past the old mill.", "Zürich, 2024: 3 × 4 = 12 ✓",
                                         "line one\nline two"};
  dir.write("a.txt", docs[0] + "\n\n" + docs[1] + "\n\n\n" + docs[2] + "\n");
  PrepareOptions o;
  o.inputs = {(dir / "a.txt").string()};
  o.output_dir = dir / "data";
  o.val_fraction = o.test_fraction = 0;
  prepare_dataset(o, tokenizer_encoder(tok), hermes::dist::Communicator::world());
  const json m = read_manifest(o.output_dir);
  const ShardData d = read_shard(o.output_dir / m["splits"]["train"]["shards"][0]["file"].get<std::string>());
  ASSERT_EQ(d.doc_offsets.size(), 4u);
  EXPECT_TRUE(d.loss_mask.empty());
  for (std::size_t k = 0; k < 3; ++k) {
    const std::vector<hermes::tokenizer::TokenId> ids(d.tokens.begin() + d.doc_offsets[k],
                                                      d.tokens.begin() + d.doc_offsets[k + 1]);
    EXPECT_EQ(tok.decode(ids), docs[k] + "<|endoftext|>");
  }
}
