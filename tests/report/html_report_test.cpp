// The HTML report of a synthetic run directory (run_directory_fixture.h): every number of
// results.json in a cell that carries its keys, names and file text escaped, the training curves
// of both model stages, each stage's origin (from the cache / built by this run), the input
// report, the provenance; a directory with results only still makes a page, one without results
// is an error naming it, an unreadable optional file becomes a warning on the page, and the page
// is written atomically — a report that cannot be written leaves the results alone.
#include "framework/report/html_report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "framework/core/error.h"
#include "framework/core/report_text.h"
#include "tests/report/run_directory_fixture.h"
#include "tests/test_support.h"

namespace fct::report {
namespace {

namespace fs = std::filesystem;
using fct::testing::read_text_file;
using fct::testing::ScratchDir;
using testing::fixture_rows;
using testing::write_file;
using testing::write_study_run;

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string cell(const std::string& case_name, const std::string& metric,
                 const std::string& value) {
  return "data-case=\"" + xml_escape(case_name) + "\" data-metric=\"" + metric + "\">" + value +
         "</td>";
}

class HtmlReport : public ::testing::Test {
 protected:
  void SetUp() override { write_study_run(run, dir.file("cache")); }
  ScratchDir dir{"fct-html-report"};
  const std::string run = dir.file("runs/demo");
};

TEST_F(HtmlReport, EveryResultIsACellWithItsCaseAndMetricAsResultsJsonHasThem) {
  const std::string page = html_report(run);
  for (const auto& row : fixture_rows()) {
    EXPECT_NE(page.find(cell(row.case_name, "top1", fixed2(row.top1))), std::string::npos)
        << row.case_name;
    EXPECT_NE(page.find(cell(row.case_name, "top5", fixed2(row.top5))), std::string::npos);
    EXPECT_NE(page.find(cell(row.case_name, "mAP", fixed2(row.mAP))), std::string::npos);
    EXPECT_NE(page.find(cell(row.case_name, "negative_flips", fixed2(row.negative_flips))),
              std::string::npos);
    EXPECT_NE(page.find(cell(row.case_name, "queries", std::to_string(row.queries))),
              std::string::npos);
    EXPECT_NE(page.find(">" + xml_escape(row.description) + "</td>"), std::string::npos);
  }
  EXPECT_NE(page.find(cell("old/old", "top1", "74.21")), std::string::npos);
  EXPECT_NE(page.find("<tr id=\"case-new/fct+si\""), std::string::npos);
}

TEST_F(HtmlReport, NamesAndFileTextAreEscaped) {
  const std::string page = html_report(run);
  EXPECT_EQ(page.find("<b>"), std::string::npos);
  EXPECT_EQ(page.find("<bad>"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos) << "config.yaml's text is not markup";
  EXPECT_NE(page.find("new/&lt;b&gt;&quot;x&quot;&amp;y"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(page.find("images/&lt;bad&gt;.jpg"), std::string::npos);
}

TEST_F(HtmlReport, IsSelfContainedWithPrintRules) {
  const std::string page = html_report(run);
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(page.find("@media print"), std::string::npos);
  EXPECT_NE(page.find("max-width"), std::string::npos);
  EXPECT_EQ(count(page, "http://"), count(page, "xmlns=\"http://www.w3.org/2000/svg\""))
      << "the only URL is SVG's namespace";
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_NE(page.find("src=\"data:image/svg+xml;base64,"), std::string::npos) << "graph.svg";
}

TEST_F(HtmlReport, DrawsTheTrainingCurvesOfEachModelStage) {
  const std::string page = html_report(run);
  EXPECT_NE(page.find("id=\"curves-old-aaaaaaaaaaaaaaaa\""), std::string::npos);
  EXPECT_NE(page.find("id=\"curves-fct-bbbbbbbbbbbbbbbb\""), std::string::npos);
  // old: loss, accuracy, lr, throughput; fct: loss, val_mse, lr, throughput (its train_accuracy
  // is all zeros: h has none).
  EXPECT_EQ(count(page, "<svg class=\"chart\""), 8u);
  EXPECT_NE(page.find("data-series=\"val_accuracy\""), std::string::npos);
  EXPECT_NE(page.find("data-series=\"val_mse\""), std::string::npos);
  EXPECT_EQ(count(page, "data-series=\"train_accuracy\""), 1u);
  EXPECT_NE(page.find("3 epochs, 22.6 s of epochs, last val_accuracy 0.993"), std::string::npos);
}

TEST_F(HtmlReport, SaysWhichStagesCameFromTheCacheAndTheirTimes) {
  const std::string page = html_report(run);
  const auto row = [&](const std::string& key) {
    const auto at = page.find("data-key=\"" + key + "\"");
    EXPECT_NE(at, std::string::npos) << key;
    return page.substr(at, page.find("</tr>", at) - at);
  };
  EXPECT_NE(row("aaaaaaaaaaaaaaaa").find("from the cache (built for runs/earlier)"),
            std::string::npos);
  EXPECT_NE(row("aaaaaaaaaaaaaaaa").find(">22.8<"), std::string::npos);
  EXPECT_NE(row("bbbbbbbbbbbbbbbb").find("built by this run"), std::string::npos);
  EXPECT_NE(row("bbbbbbbbbbbbbbbb").find(">12.5<"), std::string::npos);
  EXPECT_NE(row("cccccccccccccccc").find("made per run"), std::string::npos);
  EXPECT_NE(page.find("3 stages: 1 built by this run (12.5 s), 1 taken from the run cache"),
            std::string::npos);
}

TEST_F(HtmlReport, ReportsSkippedAndTruncatedInputs) {
  const std::string page = html_report(run);
  EXPECT_NE(page.find("data-stage=\"fct\" data-split=\"train\" data-metric=\"skipped_files\">2<"),
            std::string::npos);
  EXPECT_NE(page.find("data-metric=\"truncated_reads\">3<"), std::string::npos);
  EXPECT_NE(page.find("did not decode fully"), std::string::npos);
}

TEST_F(HtmlReport, ShowsTheProvenanceAndResolvedConfig) {
  const std::string page = html_report(run);
  EXPECT_NE(page.find("data-key=\"git_revision\">0123456789abcdef0123<"), std::string::npos);
  EXPECT_NE(page.find("data-key=\"versions.libtorch\">1.13.0<"), std::string::npos);
  EXPECT_NE(page.find("data-key=\"command_line\">build/fct run demo.yaml<"), std::string::npos);
  EXPECT_NE(page.find("<pre class=\"config\">name: demo"), std::string::npos);
}

TEST(HtmlReportOptionalParts, ResultsAloneMakeAPage) {
  ScratchDir dir("fct-html-report");
  write_file(dir.file("results.json"), results_json(fixture_rows()).dump());
  const std::string page = html_report(dir.path());
  EXPECT_NE(page.find(cell("old/old", "top1", "74.21")), std::string::npos);
  for (const char* absent : {"id=\"training\"", "id=\"stages\"", "id=\"inputs\"",
                             "id=\"provenance\"", "id=\"backfilling\"", "class=\"warning\""})
    EXPECT_EQ(page.find(absent), std::string::npos) << absent;
}

TEST(HtmlReportOptionalParts, NoResultsIsAnErrorNamingTheDirectory) {
  ScratchDir dir("fct-html-report");
  write_file(dir.file("provenance.json"), "{}");
  try {
    html_report(dir.path());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.path() + " has no results"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(html_report(dir.file("missing")), Error);
}

TEST(HtmlReportOptionalParts, ASweepsResultsAreNamedInTheError) {
  ScratchDir dir("fct-html-report");
  write_file(dir.file("sweep/summary.json"), "[]");
  try {
    html_report(dir.path());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.path() + "/sweep"), std::string::npos) << e.what();
  }
}

TEST(HtmlReportOptionalParts, UnreadableResultsAreAnErrorNamingTheFile) {
  ScratchDir dir("fct-html-report");
  write_file(dir.file("results.json"), "[{\"case\": \"x\"}]");
  try {
    html_report(dir.path());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.file("results.json")), std::string::npos) << e.what();
  }
}

TEST_F(HtmlReport, AnUnreadableOptionalFileIsAWarningOnThePage) {
  write_file(dir.file("cache/stages/old/aaaaaaaaaaaaaaaa/metrics.csv"),
             "epoch,train_loss\n1,0.5\n2,oops\n");
  const std::string page = html_report(run);
  EXPECT_NE(page.find("class=\"warning\">training curves of old: "), std::string::npos);
  EXPECT_NE(page.find("metrics.csv:3: train_loss is not a number"), std::string::npos);
  EXPECT_NE(page.find("id=\"curves-fct-bbbbbbbbbbbbbbbb\""), std::string::npos);
}

TEST(HtmlReportOptionalParts, ASweepSummaryIsATablePerMetricWithLinksToThePoints) {
  ScratchDir dir("fct-html-report");
  auto rows = fixture_rows();
  nlohmann::json summary = nlohmann::json::array();
  for (int point = 0; point < 2; ++point) {
    rows[1].top1 = 80 + point;
    const std::string name = point == 0 ? "000_a=1" : "001_a=#2";
    summary.push_back({{"point", point},
                       {"overrides", {"a=" + std::to_string(point + 1)}},
                       {"directory", "runs/x/sweep/" + name},
                       {"results", results_json(rows)}});
    write_file(dir.file(name + "/report.html"), "");
  }
  write_file(dir.file("summary.json"), summary.dump());
  const std::string page = html_report(dir.path());
  EXPECT_NE(page.find("data-point=\"1\" data-case=\"new/fct+si\" data-metric=\"top1\">81.00<"),
            std::string::npos);
  EXPECT_NE(page.find("data-point=\"0\" data-case=\"old/old\" data-metric=\"mAP\">42.42<"),
            std::string::npos);
  EXPECT_NE(page.find("href=\"000_a=1/report.html\""), std::string::npos);
  EXPECT_NE(page.find("href=\"001_a=%232/report.html\""), std::string::npos);
}

TEST(HtmlReportOptionalParts, AGridIsAMatrixPerCaseAndMetric) {
  ScratchDir dir("fct-html-report");
  write_file(dir.file("grid.json"), R"({"title": "g", "old_models": ["a", "b<"],
    "new_models": ["c"], "pairs": [{"old": "a", "new": "c"}],
    "matrices": {"new/fct+si": {"top1": [[51.234], [null]], "mAP": [[40.0], [null]]}}})");
  write_file(dir.file("pairs/a--c/report.html"), "");
  const std::string page = html_report(dir.path());
  EXPECT_NE(page.find("data-old=\"a\" data-new=\"c\" data-case=\"new/fct+si\" "
                      "data-metric=\"top1\">51.23<"),
            std::string::npos);
  EXPECT_NE(page.find("data-old=\"b&lt;\" data-new=\"c\" data-case=\"new/fct+si\" "
                      "data-metric=\"mAP\">&#8212;<"),
            std::string::npos);
  EXPECT_NE(page.find("href=\"pairs/a--c/report.html\""), std::string::npos);
}

TEST_F(HtmlReport, IsWrittenAtomicallyToTheGivenPath) {
  const std::string out = dir.file("elsewhere/r.html");
  write_html_report(run, out);
  EXPECT_EQ(read_text_file(out).rfind("<!DOCTYPE html>", 0), 0u);
  for (const auto& entry : fs::directory_iterator(dir.file("elsewhere")))
    EXPECT_EQ(entry.path().filename(), "r.html") << "no temporary left behind";
  EXPECT_EQ(default_report_path(run), run + "/report.html");
}

TEST_F(HtmlReport, AfterARunAReportThatCannotBeWrittenIsLoggedAndTheResultsStay) {
  EXPECT_TRUE(write_html_report_after_run(run));
  EXPECT_TRUE(fs::exists(run + "/report.html"));
  fs::remove(run + "/report.html");
  fs::create_directories(run + "/report.html/blocked");  // a directory where the page goes
  const std::string results = read_text_file(run + "/results.json");
  EXPECT_FALSE(write_html_report_after_run(run));
  EXPECT_EQ(read_text_file(run + "/results.json"), results);
}

}  // namespace
}  // namespace fct::report
