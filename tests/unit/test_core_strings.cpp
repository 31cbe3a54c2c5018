#include <gtest/gtest.h>

#include "hermes/core/strings.hpp"

using namespace hermes;

TEST(Strings, EditDistanceCountsEditsAndSwaps) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("batch_size", "batchsize"), 1u);
  EXPECT_EQ(edit_distance("trian", "train"), 1u);  // adjacent swap is one edit
}

TEST(Strings, ClosestMatchRejectsDistantWords) {
  const std::vector<std::string> keys = {"batch_size", "seq_len", "max_steps"};
  EXPECT_EQ(closest_match("batchsize", keys), "batch_size");
  EXPECT_EQ(closest_match("seqlen", keys), "seq_len");
  EXPECT_EQ(closest_match("temperature", keys), "");
}

TEST(Strings, SplitJoinTrim) {
  EXPECT_EQ(split("a,b,,c", ','), (std::vector<std::string>{"a", "b", "", "c"}));
  const std::vector<std::string> parts = {"x", "y"};
  EXPECT_EQ(join(parts, ", "), "x, y");
  EXPECT_EQ(trim("  a b \n"), "a b");
  EXPECT_EQ(format_bytes(1536), "1.50 KiB");
}
