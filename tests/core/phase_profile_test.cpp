#include "framework/core/phase_profile.h"

#include <gtest/gtest.h>

namespace fct {
namespace {

TEST(PhaseProfile, LapsAccumulatePerPhaseInFirstSeenOrder) {
  PhaseProfile profile;
  EXPECT_TRUE(profile.phases().empty());
  EXPECT_EQ(profile.total_seconds(), 0.0);
  profile.lap("load");
  profile.lap("forward");
  profile.lap("load");
  profile.restart();
  profile.lap("write");
  ASSERT_EQ(profile.phases().size(), 3u);
  EXPECT_EQ(profile.phases()[0].first, "load");
  EXPECT_EQ(profile.phases()[1].first, "forward");
  EXPECT_EQ(profile.phases()[2].first, "write");
  double sum = 0.0;
  for (const auto& [phase, seconds] : profile.phases()) {
    EXPECT_GE(seconds, 0.0) << phase;
    EXPECT_EQ(profile.seconds(phase), seconds);
    sum += seconds;
  }
  EXPECT_DOUBLE_EQ(profile.total_seconds(), sum);
  EXPECT_EQ(profile.seconds("never"), 0.0);
}

TEST(PhaseProfile, SummaryNamesEveryPhaseWithItsShare) {
  PhaseProfile profile;
  profile.lap("set-up");
  profile.lap("forward");
  const std::string text = profile.summary();
  EXPECT_EQ(text.find("set-up "), 0u) << text;
  EXPECT_NE(text.find(", forward "), std::string::npos) << text;
  EXPECT_NE(text.find("% "), std::string::npos) << text;
  EXPECT_NE(text.find(" s"), std::string::npos) << text;
  EXPECT_EQ(PhaseProfile().summary(), "");
}

}  // namespace
}  // namespace fct
