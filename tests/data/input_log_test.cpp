// InputLog (framework/data/input_log.h): each bad file is warned about once however often it is
// met, while every read is counted; reasons lose the path they repeat; the JSON summary and the
// end-of-run line; and exact counts and warnings when several loader threads report at once.
#include "framework/data/input_log.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fct::data {
namespace {

// While alive, spdlog's default logger writes "<level>|<message>" lines into a string (the log is
// the behaviour under test: a bad file must not flood it), then the previous logger is restored.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
    sink->set_pattern("%l|%v");
    auto logger = std::make_shared<spdlog::logger>("fct-input-log-test", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  std::vector<std::string> lines() {
    spdlog::default_logger()->flush();
    std::vector<std::string> result;
    std::istringstream in(stream_.str());
    for (std::string line; std::getline(in, line);) result.push_back(line);
    return result;
  }

 private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST(InputLog, EachBadFileIsWarnedOnceAndEveryReadIsCounted) {
  CapturedLog log;
  InputLog input("imagenet train", BadFilePolicy::kSkip);
  for (int epoch = 0; epoch < 3; ++epoch) input.skipped("/d/a.jpg", "/d/a.jpg: empty file");
  input.skipped("/d/b.jpg", "/d/b.jpg: neither JPEG nor PNG");
  input.truncated("/d/c.jpg");
  input.truncated("/d/c.jpg");
  const InputLog::Counts counts = input.counts();
  EXPECT_EQ(counts.skipped_files, 2);
  EXPECT_EQ(counts.skipped_reads, 4);
  EXPECT_EQ(counts.truncated_files, 1);
  EXPECT_EQ(counts.truncated_reads, 2);
  EXPECT_EQ(log.lines(),
            (std::vector<std::string>{
                "warning|data: imagenet train: skipping unreadable /d/a.jpg (empty file)",
                "warning|data: imagenet train: skipping unreadable /d/b.jpg (neither JPEG nor PNG)",
                "warning|data: imagenet train: /d/c.jpg is truncated; using what decodes"}));
}

TEST(InputLog, AReasonThatDoesNotStartWithThePathIsKeptWhole) {
  CapturedLog log;
  InputLog input("places365 val", BadFilePolicy::kSkip);
  input.skipped("x.jpg", "y.jpg: other file");
  input.skipped("z.jpg", "z.jpg:no space");
  input.skipped("w.jpg", "");
  EXPECT_EQ(log.lines(), (std::vector<std::string>{
                             "warning|data: places365 val: skipping unreadable x.jpg (y.jpg: other "
                             "file)",
                             "warning|data: places365 val: skipping unreadable z.jpg (z.jpg:no "
                             "space)",
                             "warning|data: places365 val: skipping unreadable w.jpg ()"}));
}

TEST(InputLog, SkippedAndTruncatedAreSeparateRecords) {
  // One file may be both: truncated in one view (used) and then skipped by another reader.
  InputLog input("d", BadFilePolicy::kSkip);
  input.truncated("f.jpg");
  input.skipped("f.jpg", "f.jpg: JPEG does not decode");
  const auto counts = input.counts();
  EXPECT_EQ(counts.skipped_files, 1);
  EXPECT_EQ(counts.truncated_files, 1);
}

TEST(InputLog, PolicyIsTheOneGiven) {
  EXPECT_EQ(InputLog("d", BadFilePolicy::kSkip).policy(), BadFilePolicy::kSkip);
  EXPECT_EQ(InputLog("d", BadFilePolicy::kFail).policy(), BadFilePolicy::kFail);
}

TEST(InputLog, SummaryListsTheFilesSortedWithTheCounts) {
  InputLog input("imagenet train", BadFilePolicy::kSkip);
  EXPECT_EQ(input.summary(), (nlohmann::json{{"skipped_files", 0},
                                             {"skipped_reads", 0},
                                             {"truncated_files", 0},
                                             {"truncated_reads", 0},
                                             {"skipped", nlohmann::json::array()},
                                             {"truncated", nlohmann::json::array()}}));
  input.skipped("/d/z.jpg", "x");
  input.skipped("/d/a.jpg", "x");
  input.skipped("/d/z.jpg", "x");
  input.truncated("/d/m.jpg");
  EXPECT_EQ(input.summary(),
            (nlohmann::json{{"skipped_files", 2},
                            {"skipped_reads", 3},
                            {"truncated_files", 1},
                            {"truncated_reads", 1},
                            {"skipped", nlohmann::json::array({"/d/a.jpg", "/d/z.jpg"})},
                            {"truncated", nlohmann::json::array({"/d/m.jpg"})}}));
}

TEST(InputLog, DescribeIsEmptyUntilSomethingWasMet) {
  InputLog input("imagenet train", BadFilePolicy::kSkip);
  EXPECT_EQ(input.describe(), "");
  input.truncated("/d/t.jpg");
  EXPECT_EQ(input.describe(),
            "imagenet train: skipped 0 unreadable file(s) (0 reads), used 1 truncated file(s)");
  input.skipped("/d/a.jpg", "");
  input.skipped("/d/a.jpg", "");
  input.skipped("/d/b.jpg", "");
  EXPECT_EQ(input.describe(),
            "imagenet train: skipped 2 unreadable file(s) (3 reads), used 1 truncated file(s)");
}

TEST(InputLog, ThreadsReportingAtOnceLoseNothingAndRepeatNothing) {
  // Four loader threads meet the same 40 unreadable files (each file once per thread) and one
  // truncated file of their own, five times.
  CapturedLog log;
  InputLog input("d", BadFilePolicy::kSkip);
  constexpr int kThreads = 4, kFiles = 40, kTruncatedReads = 5;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&input, t] {
      for (int k = 0; k < kFiles; ++k) {
        const int file = (k + 10 * t) % kFiles;  // each thread starts elsewhere: they collide
        input.skipped("bad_" + std::to_string(file), "reason");
        if (k % (kFiles / kTruncatedReads) == 0) input.truncated("cut_" + std::to_string(t));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const auto counts = input.counts();
  EXPECT_EQ(counts.skipped_files, kFiles);
  EXPECT_EQ(counts.skipped_reads, kThreads * kFiles);
  EXPECT_EQ(counts.truncated_files, kThreads);
  EXPECT_EQ(counts.truncated_reads, kThreads * kTruncatedReads);
  const auto summary = input.summary();
  EXPECT_EQ(summary.at("skipped").size(), static_cast<std::size_t>(kFiles));
  EXPECT_EQ(summary.at("truncated"), nlohmann::json::array({"cut_0", "cut_1", "cut_2", "cut_3"}));
  // One warning per distinct file, whichever thread met it first.
  const auto lines = log.lines();
  EXPECT_EQ(lines.size(), static_cast<std::size_t>(kFiles + kThreads));
  for (int file = 0; file < kFiles; ++file) {
    const std::string line =
        "warning|data: d: skipping unreadable bad_" + std::to_string(file) + " (reason)";
    EXPECT_EQ(std::count(lines.begin(), lines.end(), line), 1) << line;
  }
}

}  // namespace
}  // namespace fct::data
