// `fct report RUN_DIR [--out FILE]` on a synthetic run directory (tests/report/
// run_directory_fixture.h): the page at RUN_DIR/report.html or where --out says, a sweep's run
// directory reported from its sweep/ directory, and a directory without results an error that
// names it.
#include <gtest/gtest.h>

#include <filesystem>

#include "framework/report/results_table.h"
#include "tests/cli/cli_test_support.h"
#include "tests/report/run_directory_fixture.h"

namespace fct::testing {
namespace {

namespace fs = std::filesystem;

TEST(ReportCommand, WritesThePageWhereAskedAndNamesADirectoryWithoutResults) {
  ScratchDir dir("fct-report-command");
  const std::string run = dir.file("runs/demo");
  report::testing::write_study_run(run, dir.file("cache"));

  auto result = run_fct(1, {"report", run}, 120);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("report: " + run + "/report.html"), std::string::npos)
      << result.output;
  EXPECT_NE(read_text_file(run + "/report.html")
                .find("data-case=\"old/old\" data-metric=\"top1\">74.21</td>"),
            std::string::npos);

  result = run_fct(2, {"report", run, "--out", dir.file("out/page.html")}, 120);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(fs::exists(dir.file("out/page.html")));

  // A sweep's run directory: the report of its sweep/ directory.
  const std::string sweep_run = dir.file("runs/swept");
  report::testing::write_file(
      sweep_run + "/sweep/summary.json",
      nlohmann::json::array({{{"point", 0},
                              {"overrides", {"a=1"}},
                              {"directory", "runs/swept/sweep/000_a=1"},
                              {"results", report::results_json(report::testing::fixture_rows())}}})
          .dump());
  result = run_fct(1, {"report", sweep_run}, 120);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(read_text_file(sweep_run + "/sweep/report.html")
                .find("data-point=\"0\" data-case=\"old/old\" data-metric=\"top1\">74.21<"),
            std::string::npos);

  fs::create_directories(dir.file("empty"));
  result = run_fct(1, {"report", dir.file("empty")}, 120);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find(dir.file("empty") + " has no results"), std::string::npos)
      << result.output;
  EXPECT_FALSE(fs::exists(dir.file("empty/report.html")));
}

}  // namespace
}  // namespace fct::testing
