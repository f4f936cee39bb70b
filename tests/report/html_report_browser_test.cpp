// The HTML report in a real browser: headless Chromium loads the page of a synthetic run
// directory (run_directory_fixture.h), the test reads its DOM back, and every number of
// results.json must be a table cell, found by its data-case and data-metric, showing the value as
// the page rounds it; Chromium must log no console message and load no file but the page (every
// figure is inline), and the page must print to PDF. A broken page (a missing image, a script
// error) shows that the log check catches both. Skipped when Chromium is not installed.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "framework/core/json_file.h"
#include "framework/core/report_text.h"
#include "framework/report/html_report.h"
#include "framework/report/results_table.h"
#include "tests/headless_chromium.h"
#include "tests/report/run_directory_fixture.h"
#include "tests/test_support.h"

namespace fct::report {
namespace {

namespace fs = std::filesystem;
using fct::testing::find_chromium;
using fct::testing::load_in_chromium;
using fct::testing::page_problems;
using fct::testing::read_text_file;
using fct::testing::result_cells;
using fct::testing::ScratchDir;

TEST(HtmlReportInBrowser, EveryNumberOfResultsJsonIsOnThePageAndNothingFailsToLoad) {
  if (find_chromium().empty()) GTEST_SKIP() << "chromium is not installed (apt install chromium)";
  ScratchDir dir("fct-html-browser");
  const std::string run = dir.file("runs/demo");
  testing::write_study_run(run, dir.file("cache"));
  const std::string page = default_report_path(run);
  write_html_report(run, page);

  const std::string pdf = dir.file("report.pdf");
  const auto loaded = load_in_chromium(page, dir.path(), {"--print-to-pdf=" + pdf});
  ASSERT_FALSE(loaded.timed_out) << "chromium did not finish in 120 s";
  ASSERT_EQ(loaded.exit_code, 0) << loaded.log;
  ASSERT_NE(loaded.dom.find("<table class=\"results\""), std::string::npos) << loaded.dom;
  const auto cells = result_cells(loaded.dom);
  const auto rows = results_from_json(read_json_file(run + "/results.json"), "results.json");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(cells.size(), rows.size() * 5);
  for (const auto& row : rows) {
    for (const auto& [metric, value] :
         {std::pair{"top1", row.top1}, std::pair{"top5", row.top5}, std::pair{"mAP", row.mAP},
          std::pair{"negative_flips", row.negative_flips}}) {
      const auto cell = cells.find({row.case_name, metric});
      ASSERT_NE(cell, cells.end()) << row.case_name << " " << metric;
      EXPECT_EQ(cell->second, fixed2(value)) << row.case_name << " " << metric;
      EXPECT_NEAR(std::stod(cell->second), value, 0.005 + 1e-9);
    }
    EXPECT_EQ(cells.at({row.case_name, "queries"}), std::to_string(row.queries));
  }
  const auto problems = page_problems(loaded.log, page);
  EXPECT_TRUE(problems.empty()) << problems.size() << " problems, the first: " << problems.front();
  ASSERT_TRUE(fs::exists(pdf)) << "printing to PDF failed";
  EXPECT_EQ(read_text_file(pdf).rfind("%PDF", 0), 0u);
}

TEST(HtmlReportInBrowser, TheLogCheckCatchesAConsoleErrorAndAMissingFile) {
  if (find_chromium().empty()) GTEST_SKIP() << "chromium is not installed (apt install chromium)";
  ScratchDir dir("fct-html-browser");
  const std::string page = dir.file("broken.html");
  fct::testing::write_text_file(page,
                                "<!DOCTYPE html><html><body><img src=\"missing.png\">"
                                "<script>console.error('boom')</script></body></html>");
  const auto loaded = load_in_chromium(page, dir.path());
  ASSERT_EQ(loaded.exit_code, 0) << loaded.log;
  const auto problems = page_problems(loaded.log, page);
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  EXPECT_NE(all.find("boom"), std::string::npos) << all;
  EXPECT_NE(all.find("missing.png"), std::string::npos) << all;
}

}  // namespace
}  // namespace fct::report
