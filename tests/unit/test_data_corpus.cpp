// Corpus readers: plain text, JSONL and ShareGPT, and their errors.
#include <gtest/gtest.h>

#include "../support/temp_dir.hpp"
#include "hermes/core/error.hpp"
#include "hermes/data/corpus.hpp"

using namespace hermes::data;
using hermes::test::TempDir;

namespace {
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const hermes::Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(DataCorpus, PlainTextSplitsOnSeparatorAndDropsBlankPieces) {
  TempDir dir;
  const auto f = dir.write("a.txt", "first doc\nline two\n\n\n\nsecond\n\n  \n\nthird\n");
  CorpusOptions o;
  const auto docs = read_corpus({f}, o);
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].text, "first doc\nline two");
  EXPECT_EQ(docs[1].text, "second");
  EXPECT_EQ(docs[2].text, "third");
  // Line numbers point at each document's first line.
  const auto index = index_file(f, 0, o);
  ASSERT_EQ(index.documents.size(), 3u);
  EXPECT_EQ(index.documents[0].line, 1u);
  EXPECT_EQ(index.documents[1].line, 6u);
  EXPECT_EQ(index.documents[2].line, 10u);

  o.doc_separator = "<|sep|>";
  const auto g = dir.write("b.txt", "x<|sep|>y\n\nz<|sep|>");
  const auto d2 = read_corpus({g}, o);
  ASSERT_EQ(d2.size(), 2u);
  EXPECT_EQ(d2[1].text, "y\n\nz");

  o.one_doc_per_file = true;
  const auto d3 = read_corpus({f, g}, o);
  ASSERT_EQ(d3.size(), 2u);
  EXPECT_EQ(d3[1].text, "x<|sep|>y\n\nz<|sep|>");
}

TEST(DataCorpus, JsonlTextField) {
  TempDir dir;
  const auto f =
      dir.write("a.jsonl", "{\"text\": \"hello\", \"id\": 1}\n\n{\"body\": \"x\", \"text\": \"w\\u00f6rld\"}\n");
  CorpusOptions o;
  o.format = "jsonl";
  const auto docs = read_corpus({f}, o);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].text, "hello");
  EXPECT_EQ(docs[1].text, "w\xc3\xb6rld");
  o.text_field = "body";
  const std::string e = error_of([&] { read_corpus({f}, o); });
  EXPECT_NE(e.find("a.jsonl:1"), std::string::npos) << e;
  EXPECT_NE(e.find("no field 'body'"), std::string::npos) << e;
  EXPECT_NE(e.find("id, text"), std::string::npos) << "names the fields present: " << e;
}

TEST(DataCorpus, MalformedLineNamesFileAndLineOrIsSkipped) {
  TempDir dir;
  const auto f =
      dir.write("bad.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"unterminated}\n{\"text\": 3}\n{\"text\": \"fine\"}\n");
  CorpusOptions o;
  o.format = "jsonl";
  const std::string e = error_of([&] { read_corpus({f}, o); });
  EXPECT_NE(e.find("bad.jsonl:2:"), std::string::npos) << e;
  EXPECT_NE(e.find("malformed JSON"), std::string::npos) << e;
  EXPECT_NE(e.find("skip_bad_records"), std::string::npos) << "says how to skip: " << e;
  o.skip_bad_records = true;
  std::uint64_t skipped = 0;
  const auto docs = read_corpus({f}, o, &skipped);
  EXPECT_EQ(skipped, 2u);  // the broken line and the non-string text
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[1].text, "fine");
}

// A number too large for a double is an out_of_range error in nlohmann's parser, not a
// parse_error; it must still read as a malformed line, never escape as a foreign exception.
TEST(DataCorpus, OverflowingNumberIsAMalformedLine) {
  TempDir dir;
  const std::string overflowing = "{\"text\": \"x\", \"n\": 5e2222222222222222}\n";
  const auto alone = dir.write("big.jsonl", overflowing);
  for (const char* format : {"jsonl", "sharegpt"}) {
    CorpusOptions o;
    o.format = format;
    const std::string e = error_of([&] { read_corpus({alone}, o); });
    EXPECT_NE(e.find("big.jsonl:1:"), std::string::npos) << format << ": " << e;
    EXPECT_NE(e.find("malformed JSON"), std::string::npos) << format << ": " << e;
  }
  const auto mixed = dir.write("mixed.jsonl", "{\"text\": \"ok\"}\n" + overflowing);
  CorpusOptions o;
  o.format = "jsonl";
  o.skip_bad_records = true;
  std::uint64_t skipped = 0;
  const auto docs = read_corpus({mixed}, o, &skipped);
  EXPECT_EQ(skipped, 1u);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].text, "ok");
}

TEST(DataCorpus, ShareGptRecords) {
  TempDir dir;
  const std::string tools = R"([{\"type\": \"function\", \"function\": {\"name\": \"calculator\"}}])";
  const auto f = dir.write(
      "c.jsonl",
      "{\"conversations\": [{\"from\": \"system\", \"value\": \"sys\"}, {\"from\": \"human\", \"value\": \"hi\"}, "
      "{\"from\": \"gpt\", \"value\": \"<think>x</think>hello\"}], \"tools\": \"" +
          tools +
          "\", \"task\": \"t\", \"category\": \"c\", \"source\": \"s\", \"scenario_category\": \"single_turn\"}\n");
  CorpusOptions o;
  o.format = "sharegpt";
  const auto docs = read_corpus({f}, o);
  ASSERT_EQ(docs.size(), 1u);
  ASSERT_TRUE(docs[0].is_conversation);
  const auto& c = docs[0].conversation;
  ASSERT_EQ(c.messages.size(), 3u);
  EXPECT_EQ(c.messages[1].role, "human");
  EXPECT_EQ(c.messages[2].content, "<think>x</think>hello");
  EXPECT_EQ(c.tools_json, R"([{"type": "function", "function": {"name": "calculator"}}])");
}

TEST(DataCorpus, ShareGptErrorsNameTheField) {
  TempDir dir;
  CorpusOptions o;
  o.format = "sharegpt";
  struct Case {
    std::string line, expect;
  } cases[] = {
      {R"({"messages": []})", "no field 'conversations'"},
      {R"({"conversations": [{"from": "human"}]})", "conversations[0] has no field 'value'"},
      {R"({"conversations": [{"from": "human", "value": "a"}, {"from": "bot", "value": "b"}]})",
       "conversations[1].from is 'bot'"},
      {R"({"conversations": [{"from": "human", "value": 5}]})", "conversations[0].value must be a string"},
      {R"({"conversations": [{"from": "human", "value": "a"}], "tools": "[not json"})",
       "'tools' is a string but not valid JSON"},
  };
  for (const auto& c : cases) {
    const auto f = dir.write("e.jsonl", "\n" + c.line + "\n");
    const std::string e = error_of([&] { read_corpus({f}, o); });
    EXPECT_NE(e.find("e.jsonl:2:"), std::string::npos) << e;
    EXPECT_NE(e.find(c.expect), std::string::npos) << e;
  }
}

TEST(DataCorpus, MissingFileIsAnError) {
  const std::string e = error_of([] { read_corpus({"/nonexistent/corpus.txt"}, CorpusOptions{}); });
  EXPECT_NE(e.find("/nonexistent/corpus.txt"), std::string::npos) << e;
}
