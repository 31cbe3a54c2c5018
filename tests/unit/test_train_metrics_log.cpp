// metrics.csv and metrics.jsonl: a row per step with the wall-clock time, evaluation rows with
// their split, the final evaluations marked, and a resume that keeps exactly the rows up to its
// step (a line cut short by a kill is dropped).
#include <gtest/gtest.h>

#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "hermes/train/metrics_log.hpp"
#include "train_fixture.hpp"

using namespace hermes;
using hermes::testing::scratch_dir;

namespace {

std::vector<nlohmann::json> jsonl_rows(const std::filesystem::path& path) {
  std::vector<nlohmann::json> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) rows.push_back(nlohmann::json::parse(line));
  return rows;
}

std::vector<std::string> lines(const std::filesystem::path& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

train::StepRecord record(std::int64_t step) {
  return {.step = step,
          .loss = 2.0 / static_cast<double>(step),
          .accuracy = 0.1 * static_cast<double>(step),
          .lr = 1e-3,
          .grad_norm = 0.5,
          .tokens_per_s = 1000};
}

}  // namespace

TEST(TrainMetricsLog, StepsEvaluationsAndFinalRows) {
  const auto dir = scratch_dir("metrics_rows");
  const train::EvalResult val{.loss = 1.5, .accuracy = 0.4, .perplexity = 4.4817, .tokens = 512};
  {
    train::MetricsLog log(dir, false, 0);
    log.step(record(1), nullptr);
    log.step(record(2), &val);
    log.final_eval(2, "val", val);
    log.final_eval(2, "test", val);
  }
  const auto rows = jsonl_rows(dir / "metrics.jsonl");
  ASSERT_EQ(rows.size(), 5u);  // step 1, step 2, its evaluation, final val, final test
  EXPECT_EQ(rows[0]["kind"], "train");
  EXPECT_EQ(rows[0]["step"], 1);
  EXPECT_DOUBLE_EQ(rows[0]["loss"].get<double>(), 2.0);
  EXPECT_GT(rows[0]["time"].get<double>(), 1.7e9);  // seconds since 1970, not since the run began
  EXPECT_EQ(rows[2]["kind"], "eval");
  EXPECT_EQ(rows[2]["split"], "val");
  EXPECT_EQ(rows[2]["tokens"], 512);
  EXPECT_FALSE(rows[2].contains("final"));
  EXPECT_EQ(rows[3]["final"], true);
  EXPECT_EQ(rows[4]["split"], "test");
  const auto csv = lines(dir / "metrics.csv");
  ASSERT_EQ(csv.size(), 3u);
  EXPECT_EQ(csv[0].rfind("step,loss,", 0), 0u);
  EXPECT_EQ(csv[1].substr(csv[1].size() - 3), ",,,");  // no evaluation at step 1
  EXPECT_NE(csv[2].find(",1.500000,0.400000,"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(TrainMetricsLog, ResumeKeepsRowsThroughItsStepAndDropsCutLines) {
  const auto dir = scratch_dir("metrics_resume");
  {
    train::MetricsLog log(dir, false, 0);
    for (std::int64_t s = 1; s <= 5; ++s) log.step(record(s), nullptr);
  }
  std::ofstream(dir / "metrics.jsonl", std::ios::app) << "{\"kind\": \"train\", \"st";  // killed mid-write
  std::ofstream(dir / "metrics.csv", std::ios::app) << "6,0.3";
  {
    train::MetricsLog log(dir, true, 3);
    log.step(record(4), nullptr);
  }
  const auto rows = jsonl_rows(dir / "metrics.jsonl");
  ASSERT_EQ(rows.size(), 4u);
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i]["step"], static_cast<int>(i) + 1);
  const auto csv = lines(dir / "metrics.csv");
  ASSERT_EQ(csv.size(), 5u);  // header and steps 1-4, step 4 once
  EXPECT_EQ(csv[4].rfind("4,", 0), 0u);
  std::filesystem::remove_all(dir);
}

TEST(TrainMetricsLog, ANewRunStartsBothFilesOver) {
  const auto dir = scratch_dir("metrics_new");
  {
    train::MetricsLog log(dir, false, 0);
    log.step(record(1), nullptr);
    log.step(record(2), nullptr);
  }
  { train::MetricsLog log(dir, false, 0); }
  EXPECT_TRUE(jsonl_rows(dir / "metrics.jsonl").empty());
  EXPECT_EQ(lines(dir / "metrics.csv").size(), 1u);
  std::filesystem::remove_all(dir);
}
