// A study's results table: the printed table (as wide as the longest case), results.md,
// results.csv and results.json, exactly, for two rows; JSON read back gives the same rows, a list
// that is not one is an error naming its source, and write_results writes the three files.
#include "framework/report/results_table.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "framework/core/error.h"
#include "tests/test_support.h"

namespace fct::report {
namespace {

using fct::testing::read_text_file;
using fct::testing::ScratchDir;

std::vector<ResultRow> two_rows() {
  ResultRow old_old;
  old_old.case_name = "old/old";
  old_old.description = "old model, old gallery";
  old_old.top1 = 45.126;
  old_old.top5 = 70.5;
  old_old.mAP = 30.0;
  old_old.queries = 100;
  ResultRow fct_si;
  fct_si.case_name = "new/fct+si";
  fct_si.description = "h(old, side-info)";
  fct_si.top1 = 51.0;
  fct_si.top5 = 75.25;
  fct_si.mAP = 33.333;
  fct_si.negative_flips = 2.5;
  fct_si.queries = 100;
  return {old_old, fct_si};
}

TEST(ResultsTable, PrintedTableHasTwoDecimalsUnderAHeaderAndARule) {
  EXPECT_EQ(format_results_table(two_rows()),
            "case           top-1   top-5     mAP  neg.flips  what\n"
            "-----------------------------------------------\n"
            "old/old        45.13   70.50   30.00       0.00  old model, old gallery\n"
            "new/fct+si     51.00   75.25   33.33       2.50  h(old, side-info)\n");
}

// AUC rows are longer than the protocol's cases: the case column grows with them.
TEST(ResultsTable, PrintedTableIsAsWideAsTheLongestCase) {
  auto rows = two_rows();
  rows[1].case_name = "AUC fct+si distance";  // 19 characters
  const std::string table = format_results_table(rows);
  EXPECT_EQ(table.substr(0, table.find('\n')),
            "case                  top-1   top-5     mAP  neg.flips  what");
  EXPECT_NE(table.find("\n" + std::string(54, '-') + "\n"), std::string::npos) << table;
  EXPECT_NE(table.find("\nold/old               45.13 "), std::string::npos) << table;
  EXPECT_NE(table.find("\nAUC fct+si distance   51.00 "), std::string::npos) << table;
}

TEST(ResultsTable, MarkdownIsATitledTableWithAFootnote) {
  const std::string md = results_markdown(two_rows(), "demo study");
  const std::string expected_start =
      "# demo study\n\n"
      "| case | top-1 | top-5 | mAP | negative flips | what |\n"
      "|---|---:|---:|---:|---:|---|\n"
      "| old/old | 45.13 | 70.50 | 30.00 | 0.00 | old model, old gallery |\n"
      "| new/fct+si | 51.00 | 75.25 | 33.33 | 2.50 | h(old, side-info) |\n"
      "\nPercentages; query/gallery; negative flips: ";
  EXPECT_EQ(md.substr(0, expected_start.size()), expected_start) << md;
  EXPECT_EQ(md.back(), '\n');
  EXPECT_NE(md.find("AUC rows: the mean of a backfilling curve's points"), std::string::npos);
}

TEST(ResultsTable, CsvHasFourDecimalsAndTheQueryCount) {
  EXPECT_EQ(results_csv(two_rows()),
            "case,top1,top5,mAP,negative_flips,queries\n"
            "old/old,45.1260,70.5000,30.0000,0.0000,100\n"
            "new/fct+si,51.0000,75.2500,33.3330,2.5000,100\n");
  EXPECT_EQ(results_csv({}), "case,top1,top5,mAP,negative_flips,queries\n");
}

TEST(ResultsTable, CsvQuotesACaseNameWithACommaOrAQuote) {
  auto rows = two_rows();
  rows[0].case_name = "new/fct, \"v2\"";
  const std::string csv = results_csv(rows);
  EXPECT_NE(csv.find("\n\"new/fct, \"\"v2\"\"\",45.1260,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\nnew/fct+si,51.0000,"), std::string::npos) << csv;
}

TEST(ResultsTable, JsonIsAListOfRowsWithEveryField) {
  const nlohmann::json expected = nlohmann::json::parse(R"json([
    {"case": "old/old", "top1": 45.126, "top5": 70.5, "mAP": 30.0, "negative_flips": 0.0,
     "queries": 100, "description": "old model, old gallery"},
    {"case": "new/fct+si", "top1": 51.0, "top5": 75.25, "mAP": 33.333, "negative_flips": 2.5,
     "queries": 100, "description": "h(old, side-info)"}
  ])json");
  EXPECT_EQ(results_json(two_rows()), expected);
  EXPECT_EQ(results_json({}), nlohmann::json::array());
}

TEST(ResultsTable, JsonReadsBackToTheSameRows) {
  const auto rows = results_from_json(results_json(two_rows()), "results.json");
  const auto expected = two_rows();
  ASSERT_EQ(rows.size(), expected.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].case_name, expected[i].case_name);
    EXPECT_EQ(rows[i].description, expected[i].description);
    EXPECT_EQ(rows[i].top1, expected[i].top1);
    EXPECT_EQ(rows[i].top5, expected[i].top5);
    EXPECT_EQ(rows[i].mAP, expected[i].mAP);
    EXPECT_EQ(rows[i].negative_flips, expected[i].negative_flips);
    EXPECT_EQ(rows[i].queries, expected[i].queries);
  }
  // Description, negative flips and queries may be absent (results of an older fct).
  const auto minimal = results_from_json(
      nlohmann::json::parse(R"([{"case": "new/new", "top1": 1, "top5": 2, "mAP": 3}])"), "x");
  ASSERT_EQ(minimal.size(), 1u);
  EXPECT_EQ(minimal[0].case_name, "new/new");
  EXPECT_EQ(minimal[0].description, "");
  EXPECT_EQ(minimal[0].mAP, 3.0);
  EXPECT_EQ(minimal[0].negative_flips, 0.0);
  EXPECT_EQ(minimal[0].queries, 0);
}

TEST(ResultsTable, JsonThatIsNotAListOfRowsIsAnErrorNamingTheSource) {
  const auto error_of = [](const nlohmann::json& list) -> std::string {
    try {
      results_from_json(list, "runs/x/results.json");
    } catch (const Error& e) {
      return e.what();
    }
    return "<no error>";
  };
  const std::string no_top1 =
      error_of(nlohmann::json::parse(R"([{"case": "old/old", "top5": 2, "mAP": 3}])"));
  EXPECT_EQ(no_top1.rfind("runs/x/results.json: not a list of result rows (", 0), 0u) << no_top1;
  const std::string text_top1 = error_of(
      nlohmann::json::parse(R"([{"case": "old/old", "top1": "high", "top5": 2, "mAP": 3}])"));
  EXPECT_EQ(text_top1.rfind("runs/x/results.json: not a list of result rows (", 0), 0u)
      << text_top1;
}

TEST(ResultsTable, WriteResultsWritesTheThreeFiles) {
  ScratchDir dir("fct-results");
  write_results(dir.path(), two_rows(), "demo study");
  EXPECT_EQ(read_text_file(dir.file("results.json")), results_json(two_rows()).dump(2) + "\n");
  EXPECT_EQ(read_text_file(dir.file("results.csv")), results_csv(two_rows()));
  EXPECT_EQ(read_text_file(dir.file("results.md")), results_markdown(two_rows(), "demo study"));
}

}  // namespace
}  // namespace fct::report
