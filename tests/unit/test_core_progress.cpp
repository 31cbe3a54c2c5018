// Progress lines: count, share, rate and ETA, the rate taken from the last minute rather than
// the whole run, and no ETA once the work is done.
#include <gtest/gtest.h>

#include "hermes/core/progress.hpp"
#include "hermes/core/strings.hpp"

using hermes::Progress;
using namespace std::chrono_literals;

TEST(CoreProgress, CountShareRateAndEta) {
  Progress p("work", "items", 100);
  const auto t0 = Progress::clock::now();
  const std::string line = p.line(50, t0 + 10s);
  EXPECT_NE(line.find("work: 50/100 items (50%)"), std::string::npos) << line;
  EXPECT_NE(line.find("| 5.00 items/s"), std::string::npos) << line;  // 50 in 10 s
  EXPECT_NE(line.find("| ETA 10s"), std::string::npos) << line;
}

TEST(CoreProgress, RateFollowsTheLastMinute) {
  Progress p("work", "items", 1000);
  const auto t0 = Progress::clock::now();
  p.line(10, t0 + 10s);
  p.line(20, t0 + 100s);                            // slow start: 20 in 100 s
  const std::string line = p.line(720, t0 + 170s);  // then 700 in 70 s
  // The whole-run average (720 in 170 s) would say ETA 1m06s; the recent rate is 10/s.
  EXPECT_NE(line.find("| 10 items/s"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 28s"), std::string::npos) << line;
}

TEST(CoreProgress, DoneHasNoEta) {
  Progress p("work", "items", 8, 2);  // two were done before this process began
  const std::string line = p.line(8, Progress::clock::now() + 3s);
  EXPECT_NE(line.find("8/8 items (100%) | 2.00 items/s"), std::string::npos) << line;
  EXPECT_EQ(line.find("ETA"), std::string::npos) << line;
}

TEST(CoreStrings, DurationsAndRates) {
  EXPECT_EQ(hermes::format_duration(37.9), "37s");
  EXPECT_EQ(hermes::format_duration(245), "4m05s");
  EXPECT_EQ(hermes::format_duration(3720), "1h02m");
  EXPECT_EQ(hermes::format_duration(-1), "?");
  EXPECT_EQ(hermes::format_rate(950), "950");
  EXPECT_EQ(hermes::format_rate(12345), "12.3k");
  EXPECT_EQ(hermes::format_rate(4.56e6), "4.56M");
}
