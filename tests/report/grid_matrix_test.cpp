// The grid matrix: rows old models, columns new models, margins old/old and new/new; absent pairs
// and cases shown as such; CSV one row per pair and case; JSON matrices with nulls; SVG heatmaps
// with escaped names.
#include "framework/report/grid_matrix.h"

#include <gtest/gtest.h>

namespace fct::report {
namespace {

ResultRow row(const std::string& name, double top1, double map) {
  ResultRow r;
  r.case_name = name;
  r.top1 = top1;
  r.top5 = top1;
  r.mAP = map;
  r.queries = 10;
  return r;
}

GridResults two_by_two() {
  GridResults results;
  results.title = "t";
  results.old_names = {"o1", "o<2>"};
  results.new_names = {"n1", "n2"};
  const auto cell = [](const std::string& o, const std::string& n, double si, bool bct) {
    GridCell c;
    c.old_name = o;
    c.new_name = n;
    c.rows = {row("old/old", o == "o1" ? 50 : 60, 30), row("new/new", n == "n1" ? 90 : 80, 70),
              row("new/old", 10, 5), row("new/fct", si - 5, si - 10),
              row("new/fct+si", si, si - 8)};
    if (bct) c.rows.push_back(row("bct/old", 40, 20));
    return c;
  };
  results.cells = {cell("o1", "n1", 85, true), cell("o1", "n2", 75, false),
                   cell("o<2>", "n1", 86, true)};  // o<2> -> n2 left out
  return results;
}

TEST(GridMatrix, MarkdownHasEveryMatrixWithMarginsAndAbsentCells) {
  const std::string md = grid_markdown(two_by_two());
  EXPECT_NE(md.find("## FCT with side-information"), std::string::npos);
  EXPECT_NE(md.find("| old \\ new | n1 | n2 | old/old |"), std::string::npos) << md;
  EXPECT_NE(md.find("| o1 | 85.00 / 77.00 | 75.00 / 67.00 | 50.00 / 30.00 |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| o<2> | 86.00 / 78.00 | – | 60.00 / 30.00 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| new/new | 90.00 / 70.00 | 80.00 / 70.00 | |"), std::string::npos) << md;
  EXPECT_NE(md.find("(bct/old)"), std::string::npos);
  EXPECT_EQ(two_by_two().find("o1", "n2", "bct/old"), std::nullopt);
}

TEST(GridMatrix, CsvJsonAndSvg) {
  const auto results = two_by_two();
  const std::string csv = grid_csv(results);
  EXPECT_EQ(csv.rfind("old,new,case,top1,top5,mAP,negative_flips,queries\n", 0), 0u);
  EXPECT_NE(csv.find("o1,n2,new/fct+si,75,75,67,0,10\n"), std::string::npos) << csv;
  const auto json = grid_json(results);
  EXPECT_EQ(json["pairs"].size(), 3u);
  EXPECT_EQ(json["matrices"]["new/fct+si"]["top1"][0][1], 75.0);
  EXPECT_TRUE(json["matrices"]["new/fct+si"]["top1"][1][1].is_null());
  EXPECT_TRUE(json["matrices"]["bct/old"]["mAP"][0][1].is_null());
  const std::string svg = grid_svg(results);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("o&lt;2&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("o<2>"), std::string::npos);
  EXPECT_NE(svg.find(">86.00<"), std::string::npos);
}

}  // namespace
}  // namespace fct::report
