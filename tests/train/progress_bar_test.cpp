// ProgressBar: the exact line it renders (bar, percentage, counts, rate, ETA, suffix), durations
// at their unit boundaries, and what reaches stderr: nothing when disabled; on a pipe or file a
// plain line at most every log_interval_s plus the completed line; on a terminal "\r\033[K"
// redraws, a final newline from finish(), and a newline from the destructor of an unfinished bar.
#include "framework/train/progress_bar.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <regex>
#include <string>
#include <thread>

namespace fct::train {
namespace {

using ::testing::internal::CaptureStderr;
using ::testing::internal::GetCapturedStderr;

// The elapsed time must be positive for a rate (and so an ETA) to exist; a millisecond is plenty.
void let_time_pass() {
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

TEST(ProgressBar, NothingDoneRendersAnEmptyBarZeroRateAndNoEta) {
  const ProgressBar bar("epoch 1/3", 1000, "img", /*enabled=*/false);
  // Rate 0 (nothing done) and so no ETA: the whole line is deterministic.
  EXPECT_EQ(bar.render(0, ""), "epoch 1/3 [........................]   0% 0/1000 0 img/s ETA --");
  EXPECT_EQ(bar.render(0, "loss 2.3"),
            "epoch 1/3 [........................]   0% 0/1000 0 img/s ETA --  loss 2.3");
}

TEST(ProgressBar, BarFillsInTwentyFourthsAndShowsCountsAndSuffix) {
  const ProgressBar bar("features", 1000, "item", /*enabled=*/false);
  let_time_pass();
  const std::string quarter = bar.render(250, "loss 0.5");
  // 250/1000 of 24 cells is 6 filled.
  EXPECT_EQ(quarter.rfind("features [######..................]  25% 250/1000 ", 0), 0u) << quarter;
  EXPECT_TRUE(std::regex_match(quarter, std::regex(R"(.* 250/1000 \d+ item/s ETA \S+  loss 0\.5)")))
      << quarter;
  const std::string almost = bar.render(999, "");
  EXPECT_NE(almost.find("[#######################.] 100% 999/1000"), std::string::npos)
      << almost;  // 23.976 cells: the last one is not yet filled, the percentage rounds up
}

TEST(ProgressBar, CompletionShowsAFullBarAndAnEtaOfZero) {
  const ProgressBar bar("epoch 2/2", 40, "img", /*enabled=*/false);
  let_time_pass();
  const std::string line = bar.render(40, "");
  EXPECT_TRUE(
      std::regex_match(line, std::regex(R"(epoch 2/2 \[#{24}\] 100% 40/40 \d+ img/s ETA 0s)")))
      << line;
}

TEST(ProgressBar, MoreThanTheTotalIsClampedToAFullBarWithoutAnEta) {
  const ProgressBar bar("x", 10, "img", /*enabled=*/false);
  let_time_pass();
  const std::string line = bar.render(15, "");
  // The bar and percentage stop at 100%; the remaining time would be negative, so it is unknown.
  EXPECT_TRUE(std::regex_match(line, std::regex(R"(x \[#{24}\] 100% 15/10 \d+ img/s ETA --)")))
      << line;
}

TEST(ProgressBar, ATotalBelowOneCountsAsOne) {
  const ProgressBar bar("empty", 0, "img", /*enabled=*/false);
  EXPECT_EQ(bar.render(0, ""), "empty [........................]   0% 0/1 0 img/s ETA --");
}

TEST(ProgressBar, DurationsRoundToWholeSecondsAndSwitchUnitsAtTheBoundaries) {
  EXPECT_EQ(ProgressBar::format_duration(0), "0s");
  EXPECT_EQ(ProgressBar::format_duration(0.4), "0s");
  EXPECT_EQ(ProgressBar::format_duration(59.4), "59s");
  EXPECT_EQ(ProgressBar::format_duration(59.6), "1m00s");  // rounds before choosing the unit
  EXPECT_EQ(ProgressBar::format_duration(3599), "59m59s");
  EXPECT_EQ(ProgressBar::format_duration(3600), "1h00m");
  EXPECT_EQ(ProgressBar::format_duration(3 * 3600 + 59 * 60 + 59), "3h59m");  // minutes truncate
  EXPECT_EQ(ProgressBar::format_duration(100 * 3600), "100h00m");
  EXPECT_EQ(ProgressBar::format_duration(std::numeric_limits<double>::quiet_NaN()), "--");
  EXPECT_EQ(ProgressBar::format_duration(std::numeric_limits<double>::infinity()), "--");
  EXPECT_EQ(ProgressBar::format_duration(-0.5), "--");
}

TEST(ProgressBar, DisabledPrintsNothing) {
  CaptureStderr();
  {
    ProgressBar bar("epoch 1/1", 10, "img", /*enabled=*/false, /*log_interval_s=*/0.0);
    bar.update(5, "loss 1");
    bar.update(10, "loss 1");
    bar.finish("done");
  }
  EXPECT_EQ(GetCapturedStderr(), "");
}

TEST(ProgressBar, OnAPipeFirstUpdateAndCompletionPrintPlainLines) {
  CaptureStderr();  // stderr is a file now, so the bar (made after this) is not on a terminal
  {
    ProgressBar bar("epoch 1/1", 10, "img", /*enabled=*/true, /*log_interval_s=*/3600.0);
    bar.update(0, "first");
    bar.update(5, "within the interval");  // skipped: less than log_interval_s since the last
    bar.update(10, "complete");            // printed: the work is done
    bar.finish("final");
    bar.finish("again");  // finishing twice prints once
  }
  const std::string out = GetCapturedStderr();
  EXPECT_EQ(out.find('\r'), std::string::npos) << out;
  EXPECT_EQ(out.find("\033"), std::string::npos) << out;
  EXPECT_TRUE(std::regex_match(
      out, std::regex("epoch 1/1 \\[\\.{24}\\]   0% 0/10 0 img/s ETA --  first\n"
                      "epoch 1/1 \\[#{24}\\] 100% 10/10 \\d+ img/s ETA \\S+  complete\n"
                      "epoch 1/1 \\[#{24}\\] 100% 10/10 \\d+ img/s ETA \\S+  final\n")))
      << out;
}

TEST(ProgressBar, OnAPipeAZeroIntervalPrintsEveryUpdate) {
  CaptureStderr();
  {
    ProgressBar bar("b", 4, "item", /*enabled=*/true, /*log_interval_s=*/0.0);
    for (int64_t done = 1; done <= 3; ++done) bar.update(done, "");
  }  // not finished: on a pipe the destructor adds nothing
  const std::string out = GetCapturedStderr();
  EXPECT_TRUE(std::regex_match(out, std::regex("b \\[#{6}\\.{18}\\]  25% 1/4 .*\n"
                                               "b \\[#{12}\\.{12}\\]  50% 2/4 .*\n"
                                               "b \\[#{18}\\.{6}\\]  75% 3/4 .*\n")))
      << out;
}

// stderr redirected to a pseudo-terminal in raw mode for the life of the object; what the bar
// wrote is read back from the master side.
class StderrOnTerminal {
 public:
  StderrOnTerminal() {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0) return;
    const char* name = ::ptsname(master_);
    if (name == nullptr) return;
    slave_ = ::open(name, O_RDWR | O_NOCTTY);
    if (slave_ < 0) return;
    termios raw{};
    ::tcgetattr(slave_, &raw);
    ::cfmakeraw(&raw);  // no "\n" → "\r\n": the bytes arrive as written
    ::tcsetattr(slave_, TCSANOW, &raw);
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    ::dup2(slave_, STDERR_FILENO);
  }
  ~StderrOnTerminal() {
    restore();
    if (slave_ >= 0) ::close(slave_);
    if (master_ >= 0) ::close(master_);
  }
  bool ok() const { return saved_ >= 0; }

  // Puts stderr back and returns everything written to the terminal.
  std::string finish() {
    restore();
    std::string text;
    char buffer[4096];
    pollfd p{master_, POLLIN, 0};
    while (::poll(&p, 1, 200) > 0 && (p.revents & POLLIN)) {
      const ssize_t n = ::read(master_, buffer, sizeof buffer);
      if (n <= 0) break;
      text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }
  int master_ = -1;
  int slave_ = -1;
  int saved_ = -1;
};

TEST(ProgressBar, OnATerminalRedrawsInPlaceAndEndsWithANewline) {
  StderrOnTerminal terminal;
  if (!terminal.ok()) GTEST_SKIP() << "no pseudo-terminal here";
  {
    ProgressBar bar("epoch 1/1", 8, "img", /*enabled=*/true);
    bar.update(2, "a");
    bar.update(4, "b");  // normally skipped: within 0.2 s of the last redraw, not complete
    bar.update(8, "c");  // drawn: complete
    bar.finish("d");
  }
  const std::string out = terminal.finish();
  EXPECT_TRUE(std::regex_match(
      out, std::regex("\r\033\\[Kepoch 1/1 \\[#{6}\\.{18}\\]  25% 2/8 \\d+ img/s ETA \\S+  a"
                      // A redraw of "b" only if the machine stalled 0.2 s between two calls.
                      "(\r\033\\[Kepoch 1/1 \\[#{12}\\.{12}\\]  50% 4/8 \\d+ img/s ETA \\S+  b)?"
                      "\r\033\\[Kepoch 1/1 \\[#{24}\\] 100% 8/8 \\d+ img/s ETA \\S+  c"
                      "\r\033\\[Kepoch 1/1 \\[#{24}\\] 100% 8/8 \\d+ img/s ETA \\S+  d\n")))
      << out;
}

TEST(ProgressBar, OnATerminalAnUnfinishedBarEndsItsLineWhenDestroyed) {
  StderrOnTerminal terminal;
  if (!terminal.ok()) GTEST_SKIP() << "no pseudo-terminal here";
  {
    ProgressBar bar("p", 8, "img", /*enabled=*/true);
    bar.update(0, "");
  }  // e.g. an exception left the epoch: the next log line must not continue the bar's line
  const std::string out = terminal.finish();
  EXPECT_EQ(out, "\r\033[Kp [........................]   0% 0/8 0 img/s ETA --\n");
}

}  // namespace
}  // namespace fct::train
