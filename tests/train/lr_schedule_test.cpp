#include "framework/train/lr_schedule.h"

#include <gtest/gtest.h>

#include "framework/core/error.h"
#include "framework/train/progress_bar.h"

namespace fct::train {
namespace {

TEST(WarmupCosineSchedule, WarmsUpLinearlyThenDecaysToZero) {
  const WarmupCosineSchedule schedule(1.0, 4, 12);
  EXPECT_DOUBLE_EQ(schedule.lr(0), 0.25);
  EXPECT_DOUBLE_EQ(schedule.lr(3), 1.0);
  EXPECT_DOUBLE_EQ(schedule.lr(4), 1.0);    // cosine starts at the peak
  EXPECT_NEAR(schedule.lr(8), 0.5, 1e-12);  // half-way through the decay
  EXPECT_GT(schedule.lr(11), 0.0);
  EXPECT_LT(schedule.lr(11), 0.05);
  for (int64_t step = 5; step < 12; ++step) EXPECT_LT(schedule.lr(step), schedule.lr(step - 1));
}

TEST(WarmupCosineSchedule, NoWarmup) {
  const WarmupCosineSchedule schedule(0.1, 0, 10);
  EXPECT_DOUBLE_EQ(schedule.lr(0), 0.1);
}

TEST(WarmupCosineSchedule, RejectsImpossibleWarmup) {
  EXPECT_THROW(WarmupCosineSchedule(0.1, 11, 10), Error);
  EXPECT_THROW(WarmupCosineSchedule(0.1, 0, 0), Error);
}

TEST(ProgressBar, RendersCountsRateAndEta) {
  ProgressBar bar("epoch 1/3", 1000, "img", /*enabled=*/false);
  const std::string line = bar.render(250, "loss 0.5");
  EXPECT_NE(line.find("epoch 1/3"), std::string::npos) << line;
  EXPECT_NE(line.find("250/1000"), std::string::npos) << line;
  EXPECT_NE(line.find("25%"), std::string::npos) << line;
  EXPECT_NE(line.find("img/s"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA"), std::string::npos) << line;
  EXPECT_NE(line.find("loss 0.5"), std::string::npos) << line;
}

TEST(ProgressBar, FormatsDurations) {
  EXPECT_EQ(ProgressBar::format_duration(12.4), "12s");
  EXPECT_EQ(ProgressBar::format_duration(185), "3m05s");
  EXPECT_EQ(ProgressBar::format_duration(3720), "1h02m");
  EXPECT_EQ(ProgressBar::format_duration(-1), "--");
}

}  // namespace
}  // namespace fct::train
