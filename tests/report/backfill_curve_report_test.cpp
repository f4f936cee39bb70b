// Backfilling curves reported: the AUC row of a curve (means of its points, flips 0 without a
// reference), the long CSV and the JSON of every point, and the SVG — two panels (top-1, mAP) with
// one line per curve in each, placed on the curves' own padded range, dashed by what the order
// reads ("6 3" for distance, an oracle; "2 3" for random, which reads nothing; solid for sigma and
// for an order fct does not know), and a legend line per curve with its AUCs.
#include "framework/report/backfill_curve_report.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/test_support.h"

namespace fct::report {
namespace {

using fct::testing::read_text_file;
using fct::testing::ScratchDir;

NamedCurve curve(const std::string& variant, const std::string& order, std::vector<double> top1,
                 std::vector<double> map, std::vector<double> flips = {}) {
  NamedCurve named;
  named.variant = variant;
  named.order = order;
  named.description = variant + " gallery in " + order + " order";
  named.curve.fractions = {0.0, 0.5, 1.0};
  named.curve.backfilled = {0, 5, 10};
  named.curve.top1 = std::move(top1);
  named.curve.top5 = {70, 75, 80};
  named.curve.mAP = std::move(map);
  named.curve.negative_flips = std::move(flips);
  named.curve.queries = 7;
  return named;
}

NamedCurve sigma_curve() {
  return curve("fct+si", "sigma", {40, 50, 60}, {20, 30, 40}, {3, 2, 1});
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

TEST(BackfillCurveReport, AucRowHoldsTheMeansOfTheCurvesPoints) {
  const ResultRow row = auc_row(sigma_curve());
  EXPECT_EQ(row.case_name, "AUC fct+si sigma");
  EXPECT_EQ(row.description, "fct+si gallery in sigma order");
  EXPECT_DOUBLE_EQ(row.top1, 50.0);
  EXPECT_DOUBLE_EQ(row.top5, 75.0);
  EXPECT_DOUBLE_EQ(row.mAP, 30.0);
  EXPECT_DOUBLE_EQ(row.negative_flips, 2.0);
  EXPECT_EQ(row.queries, 7);
  // Without a reference there are no flips to average.
  const ResultRow unreferenced = auc_row(curve("fct", "random", {30, 33, 39}, {10, 11, 15}));
  EXPECT_EQ(unreferenced.case_name, "AUC fct random");
  EXPECT_DOUBLE_EQ(unreferenced.top1, 34.0);
  EXPECT_DOUBLE_EQ(unreferenced.mAP, 12.0);
  EXPECT_DOUBLE_EQ(unreferenced.negative_flips, 0.0);
}

TEST(BackfillCurveReport, CsvHasARowPerPointOfEveryCurve) {
  const std::vector<NamedCurve> curves = {sigma_curve(),
                                          curve("fct", "random", {30, 33, 39}, {10, 11, 15})};
  EXPECT_EQ(backfill_curves_csv(curves),
            "curve,variant,order,fraction,backfilled,top1,top5,mAP,negative_flips\n"
            "fct+si sigma,fct+si,sigma,0.000000,0,40.0000,70.0000,20.0000,3.0000\n"
            "fct+si sigma,fct+si,sigma,0.500000,5,50.0000,75.0000,30.0000,2.0000\n"
            "fct+si sigma,fct+si,sigma,1.000000,10,60.0000,80.0000,40.0000,1.0000\n"
            "fct random,fct,random,0.000000,0,30.0000,70.0000,10.0000,0.0000\n"
            "fct random,fct,random,0.500000,5,33.0000,75.0000,11.0000,0.0000\n"
            "fct random,fct,random,1.000000,10,39.0000,80.0000,15.0000,0.0000\n");
}

TEST(BackfillCurveReport, CsvQuotesNamesWithACommaOrAQuote) {
  const std::string csv =
      backfill_curves_csv({curve("fct,si", "sigma \"2\"", {40, 50, 60}, {20, 30, 40})});
  EXPECT_NE(csv.find("\n\"fct,si sigma \"\"2\"\"\",\"fct,si\",\"sigma \"\"2\"\"\",0.000000,0,"),
            std::string::npos)
      << csv;
}

TEST(BackfillCurveReport, JsonHoldsEveryPointAndTheAucs) {
  const auto json = backfill_curves_json({sigma_curve()});
  ASSERT_EQ(json.size(), 1u);
  const nlohmann::json expected = nlohmann::json::parse(R"({
    "curve": "fct+si sigma", "variant": "fct+si", "order": "sigma",
    "description": "fct+si gallery in sigma order",
    "fractions": [0.0, 0.5, 1.0], "backfilled": [0, 5, 10],
    "top1": [40.0, 50.0, 60.0], "top5": [70.0, 75.0, 80.0], "mAP": [20.0, 30.0, 40.0],
    "negative_flips": [3.0, 2.0, 1.0], "queries": 7,
    "auc": {"top1": 50.0, "top5": 75.0, "mAP": 30.0, "negative_flips": 2.0}
  })");
  EXPECT_EQ(json[0], expected);
  EXPECT_EQ(backfill_curves_json({}), nlohmann::json::array());
}

// One curve: top-1 from 40 to 60 is drawn on 39–61 (5 % padding each side), 260 px high from
// y = 56; the mAP panel starts 380 + 70 px to the right.
TEST(BackfillCurveReport, SvgDrawsEachCurveInBothPanelsOnItsOwnRange) {
  const std::string svg = backfill_curves_svg({sigma_curve()}, "demo <study>");
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"916\" height=\"404\"", 0),
            0u)
      << svg;
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_NE(svg.find(">demo &lt;study&gt;: backfilling curves</text>"), std::string::npos) << svg;
  EXPECT_EQ(count_of(svg, "<polyline "), 2u);
  EXPECT_NE(svg.find("stroke=\"#1f77b4\" stroke-dasharray=\"\" "
                     "points=\"56.0,304.2 246.0,186.0 436.0,67.8 \"/>"),
            std::string::npos)
      << svg;
  EXPECT_NE(svg.find("stroke=\"#1f77b4\" stroke-dasharray=\"\" "
                     "points=\"506.0,304.2 696.0,186.0 886.0,67.8 \"/>"),
            std::string::npos)
      << svg;
  EXPECT_NE(svg.find(">39.0</text>"), std::string::npos);  // the padded ends of the y axis
  EXPECT_NE(svg.find(">61.0</text>"), std::string::npos);
  EXPECT_NE(svg.find("<line x1=\"56\" x2=\"92\" y1=\"362\" y2=\"362\" stroke-width=\"2\" "
                     "stroke=\"#1f77b4\" stroke-dasharray=\"\"/><text x=\"100\" y=\"366\">"
                     "fct+si sigma — AUC top-1 50.00, mAP 30.00</text>"),
            std::string::npos)
      << svg;
}

TEST(BackfillCurveReport, SvgDashesACurveByWhatItsOrderReads) {
  const std::vector<NamedCurve> curves = {
      curve("fastfill", "distance", {44, 52, 60}, {24, 32, 40}),
      curve("fct", "random", {30, 45, 60}, {10, 25, 40}),
      curve("fastfill+si", "sigma", {42, 51, 60}, {22, 31, 40}),
      curve("fct", "made_up", {35, 47, 60}, {15, 27, 40}),  // not a registered order
  };
  const std::string svg = backfill_curves_svg(curves, "orders");
  EXPECT_EQ(count_of(svg, "<polyline "), 2 * curves.size());  // one per curve in each panel
  const std::vector<std::pair<std::string, std::string>> strokes = {
      {"#1f77b4", "6 3"}, {"#ff7f0e", "2 3"}, {"#2ca02c", ""}, {"#d62728", ""}};
  for (const auto& [colour, dash] : strokes) {
    const std::string stroke = "stroke=\"" + colour + "\" stroke-dasharray=\"" + dash + "\"";
    // Two panel lines and the legend's sample line.
    EXPECT_EQ(count_of(svg, stroke), 3u) << stroke;
    EXPECT_EQ(count_of(svg, "stroke=\"" + colour + "\""), 3u) << colour;
  }
  EXPECT_NE(svg.find(">fastfill distance — AUC top-1 52.00, mAP 32.00</text>"), std::string::npos);
  EXPECT_NE(svg.find(">fct made_up — AUC top-1 47.33, mAP 27.33</text>"), std::string::npos);
}

TEST(BackfillCurveReport, SvgWithoutCurvesHasEmptyPanels) {
  const std::string svg = backfill_curves_svg({}, "nothing");
  EXPECT_EQ(count_of(svg, "<polyline "), 0u);
  EXPECT_NE(svg.find("height=\"386\""), std::string::npos);
  EXPECT_NE(svg.find(">100.0</text>"), std::string::npos);  // the full range, 0 to 100 %
  EXPECT_NE(svg.find(">0.0</text>"), std::string::npos);
}

TEST(BackfillCurveReport, WriteBackfillCurvesWritesTheThreeFiles) {
  ScratchDir dir("fct-backfill-report");
  const std::vector<NamedCurve> curves = {sigma_curve()};
  write_backfill_curves(dir.path(), curves, "demo");
  EXPECT_EQ(read_text_file(dir.file("backfill_curves.json")),
            backfill_curves_json(curves).dump(2) + "\n");
  EXPECT_EQ(read_text_file(dir.file("backfill_curves.csv")), backfill_curves_csv(curves));
  EXPECT_EQ(read_text_file(dir.file("backfill_curves.svg")), backfill_curves_svg(curves, "demo"));
}

}  // namespace
}  // namespace fct::report
