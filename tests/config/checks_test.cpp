// The value checks: "" when valid, otherwise the text that completes "expected ...".
#include "framework/config/checks.h"

#include <gtest/gtest.h>

#include <cmath>

namespace fct::config {
namespace {

TEST(ChecksTest, Positive) {
  EXPECT_EQ(positive()(0.5), "");
  EXPECT_EQ(positive()(0.0), "a value > 0");
  EXPECT_EQ(positive()(NAN), "a value > 0");
}

TEST(ChecksTest, AtLeast) {
  EXPECT_EQ(at_least(0.0)(0.0), "");
  EXPECT_EQ(at_least(0.5)(0.25), "a value >= 0.5");
  EXPECT_EQ(at_least<int64_t>(-1)(-2), "a value >= -1");
  EXPECT_EQ(at_least<int64_t>(-1)(-1), "");
}

TEST(ChecksTest, InRange) {
  EXPECT_EQ(in_range(0.0, 1.0)(1.0), "");
  EXPECT_EQ(in_range(0.0, 1.0)(1.5), "a value in [0, 1]");
  EXPECT_EQ(in_range(0.0, 1.0)(NAN), "a value in [0, 1]");
  EXPECT_EQ(in_range(1e-08, 0.25)(0.0), "a value in [1e-08, 0.25]");
  EXPECT_EQ(in_range<int64_t>(1, 10)(11), "a value in [1, 10]");
}

TEST(ChecksTest, Strings) {
  EXPECT_EQ(not_empty()("x"), "");
  EXPECT_EQ(not_empty()(""), "a non-empty string");
  EXPECT_EQ(one_of({"sgd", "adam"})("adam"), "");
  EXPECT_EQ(one_of({"sgd", "adam"})("Adam"), "one of: sgd, adam");
}

TEST(ChecksTest, EachNamesTheElement) {
  const auto check = each(at_least<int64_t>(0));
  EXPECT_EQ(check({0, 1, 2}), "");
  EXPECT_EQ(check({}), "");
  EXPECT_EQ(check({0, 1, -2}), "a value >= 0 for element 2");
}

}  // namespace
}  // namespace fct::config
