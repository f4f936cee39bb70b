// A sweep's summary: the Markdown matrix of points × cases (a dash where a point lacks a case), the
// long CSV (labels with commas quoted), the JSON with each point's overrides, directory and rows,
// the SVG plot (numeric values of the swept key on a linear axis, other values as categories, a
// point without the case left out), and the files write_sweep_summary writes, with the plotted case
// chosen as new/fct+si, else new/fct, else the first.
#include "framework/report/sweep_summary.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/test_support.h"

namespace fct::report {
namespace {

namespace fs = std::filesystem;
using fct::testing::read_text_file;
using fct::testing::ScratchDir;

ResultRow row(const std::string& name, double top1, double top5, double map, double flips) {
  ResultRow r;
  r.case_name = name;
  r.description = name + " case";
  r.top1 = top1;
  r.top5 = top5;
  r.mAP = map;
  r.negative_flips = flips;
  r.queries = 10;
  return r;
}

SweepPointResult point(int64_t index, std::vector<std::string> overrides,
                       std::vector<ResultRow> rows) {
  SweepPointResult p;
  p.point.index = index;
  p.point.overrides = std::move(overrides);
  for (const auto& o : p.point.overrides) p.point.label += (p.point.label.empty() ? "" : " ") + o;
  p.directory = "/runs/sweep/" + std::to_string(index);
  p.rows = std::move(rows);
  return p;
}

// Two points of side_info.dim; the second lacks old/old and adds new/fct.
std::vector<SweepPointResult> two_points() {
  return {point(0, {"side_info.dim=8", "seed=0"},
                {row("old/old", 50, 70, 30, 0), row("new/fct+si", 60.5, 80, 40.25, 1.5)}),
          point(1, {"side_info.dim=32", "seed=0"},
                {row("new/fct+si", 70, 85, 45, 0.5), row("new/fct", 65, 82, 41, 1)})};
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

TEST(SweepSummary, MarkdownHasARowPerPointAndAColumnPerCaseInFirstSeenOrder) {
  EXPECT_EQ(sweep_markdown(two_points(), "dim sweep"),
            "# dim sweep\n\ntop-1 / mAP (%) per case\n\n"
            "| point | old/old | new/fct+si | new/fct |\n"
            "|---|---|---|---|\n"
            "| side_info.dim=8 seed=0 | 50.00 / 30.00 | 60.50 / 40.25 | – |\n"
            "| side_info.dim=32 seed=0 | – | 70.00 / 45.00 | 65.00 / 41.00 |\n");
}

TEST(SweepSummary, CsvHasARowPerPointAndCase) {
  EXPECT_EQ(sweep_csv(two_points()),
            "point,overrides,case,top1,top5,mAP,negative_flips,queries\n"
            "0,side_info.dim=8 seed=0,old/old,50,70,30,0,10\n"
            "0,side_info.dim=8 seed=0,new/fct+si,60.5,80,40.25,1.5,10\n"
            "1,side_info.dim=32 seed=0,new/fct+si,70,85,45,0.5,10\n"
            "1,side_info.dim=32 seed=0,new/fct,65,82,41,1,10\n");
}

// A list value holds a comma: the label is quoted so that the columns stay where they are.
TEST(SweepSummary, CsvQuotesALabelWithACommaOrQuote) {
  const auto points = std::vector<SweepPointResult>{
      point(3, {"data.classes=[1, 2]", "name=\"a\""}, {row("new/new", 1, 2, 3, 0)})};
  EXPECT_EQ(sweep_csv(points),
            "point,overrides,case,top1,top5,mAP,negative_flips,queries\n"
            "3,\"data.classes=[1, 2] name=\"\"a\"\"\",new/new,1,2,3,0,10\n");
}

TEST(SweepSummary, JsonHoldsEachPointsOverridesDirectoryAndResults) {
  const auto points = two_points();
  const auto json = sweep_json(points);
  ASSERT_EQ(json.size(), 2u);
  const nlohmann::json first = {{"point", 0},
                                {"overrides", {"side_info.dim=8", "seed=0"}},
                                {"directory", "/runs/sweep/0"},
                                {"results", results_json(points[0].rows)}};
  EXPECT_EQ(json[0], first);
  EXPECT_EQ(json[1]["point"], 1);
  EXPECT_EQ(json[1]["results"][1]["case"], "new/fct");
  EXPECT_EQ(json[1]["results"][1]["top1"], 65.0);
  EXPECT_EQ(sweep_json({}), nlohmann::json::array());
}

// x from 60 to 620 px over the values' range, y 40 px (100 %) to 340 px (0 %).
TEST(SweepSummary, SvgPlotsNumericValuesOnALinearAxis) {
  auto points = two_points();
  points.push_back(point(2, {"side_info.dim=128", "seed=0"}, {row("new/fct+si", 80, 90, 50, 0)}));
  const std::string svg = sweep_svg(points, "side_info.dim", "new/fct+si");
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"400\"", 0),
            0u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_NE(svg.find(">new/fct+si: top-1 and mAP against side_info.dim</text>"), std::string::npos);
  // 8, 32 and 128 at 60, 60 + 24/120 × 560 = 172 and 620 px.
  EXPECT_NE(svg.find("stroke=\"#1f77b4\" stroke-width=\"2\" points=\"60.00,158.50 172.00,130.00 "
                     "620.00,100.00 \""),
            std::string::npos)
      << svg;
  EXPECT_NE(svg.find("stroke=\"#d62728\" stroke-width=\"2\" points=\"60.00,219.25 172.00,205.00 "
                     "620.00,190.00 \""),
            std::string::npos)
      << svg;
  EXPECT_EQ(count_of(svg, "<polyline "), 2u);
  EXPECT_EQ(count_of(svg, "<circle "), 6u);
  EXPECT_NE(svg.find("<text x=\"172\" y=\"358\" text-anchor=\"middle\">32</text>"),
            std::string::npos)
      << svg;
  EXPECT_NE(svg.find(">top-1 %</text>"), std::string::npos);
  EXPECT_NE(svg.find(">mAP %</text>"), std::string::npos);
}

// Values that are not all numbers are evenly spaced in point order; a point without the plotted
// case has its label on the axis but no mark.
TEST(SweepSummary, SvgSpacesOtherValuesAsCategoriesAndSkipsAPointWithoutTheCase) {
  const std::vector<SweepPointResult> points = {
      point(0, {"optimizer.name=sgd"}, {row("new/fct", 40, 50, 20, 0)}),
      point(1, {"optimizer.name=a&b"}, {row("old/old", 10, 20, 5, 0)}),
      point(2, {"optimizer.name=adam"}, {row("new/fct", 60, 70, 30, 0)})};
  const std::string svg = sweep_svg(points, "optimizer.name", "new/fct");
  EXPECT_NE(svg.find("points=\"60.00,220.00 620.00,160.00 \""), std::string::npos) << svg;
  EXPECT_EQ(count_of(svg, "<circle "), 4u);
  EXPECT_NE(svg.find("<text x=\"340\" y=\"358\" text-anchor=\"middle\">a&amp;b</text>"),
            std::string::npos)
      << svg;
  EXPECT_EQ(svg.find("a&b"), std::string::npos);
}

TEST(SweepSummary, WriteSweepSummaryWritesEveryFileAndPlotsFctWithSideInformation) {
  ScratchDir dir("fct-sweep-summary");
  const auto points = two_points();
  write_sweep_summary(dir.path(), points, "dim sweep");
  EXPECT_EQ(read_text_file(dir.file("summary.md")), sweep_markdown(points, "dim sweep"));
  EXPECT_EQ(read_text_file(dir.file("summary.csv")), sweep_csv(points));
  EXPECT_EQ(read_text_file(dir.file("summary.json")), sweep_json(points).dump(2) + "\n");
  // The first override's key, and new/fct+si although old/old comes first.
  EXPECT_EQ(read_text_file(dir.file("summary.svg")),
            sweep_svg(points, "side_info.dim", "new/fct+si"));
}

TEST(SweepSummary, WithoutFctPlusSideInformationThePlotIsOfFctElseTheFirstCase) {
  {
    ScratchDir dir("fct-sweep-summary");
    const std::vector<SweepPointResult> points = {
        point(0, {"seed=1"}, {row("old/old", 1, 2, 3, 0), row("new/fct", 4, 5, 6, 0)})};
    write_sweep_summary(dir.path(), points, "t");
    EXPECT_EQ(read_text_file(dir.file("summary.svg")), sweep_svg(points, "seed", "new/fct"));
  }
  {
    ScratchDir dir("fct-sweep-summary");
    const std::vector<SweepPointResult> points = {
        point(0, {"seed=1"}, {row("old/old", 1, 2, 3, 0), row("new/new", 4, 5, 6, 0)})};
    write_sweep_summary(dir.path(), points, "t");
    EXPECT_EQ(read_text_file(dir.file("summary.svg")), sweep_svg(points, "seed", "old/old"));
  }
}

// Nothing swept (no points, or a point without overrides): tables but no plot.
TEST(SweepSummary, WithNothingSweptThereIsNoPlot) {
  ScratchDir dir("fct-sweep-summary");
  write_sweep_summary(dir.path(), {}, "empty");
  EXPECT_EQ(read_text_file(dir.file("summary.md")),
            "# empty\n\ntop-1 / mAP (%) per case\n\n"
            "| point |\n|---|\n");
  EXPECT_EQ(read_text_file(dir.file("summary.json")), "[]\n");
  EXPECT_FALSE(fs::exists(dir.file("summary.svg")));
  write_sweep_summary(dir.path(), {point(0, {}, {row("old/old", 1, 2, 3, 0)})}, "one");
  EXPECT_EQ(read_text_file(dir.file("summary.csv")),
            "point,overrides,case,top1,top5,mAP,negative_flips,queries\n0,,old/old,1,2,3,0,10\n");
  EXPECT_FALSE(fs::exists(dir.file("summary.svg")));
}

}  // namespace
}  // namespace fct::report
