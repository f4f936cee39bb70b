// The report's small line charts: ticks on round numbers, short tick labels, a polyline and a dot
// per point of each series (a one-point series still shows), a legend only for several series,
// escaped text, and "no data" for an empty chart.
#include "framework/report/svg_chart.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace fct::report {
namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(SvgChart, TicksAreRoundNumbersInsideTheRange) {
  EXPECT_EQ(nice_ticks(0, 1, 4), (std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}));
  EXPECT_EQ(nice_ticks(1, 3, 5), (std::vector<double>{1, 1.5, 2, 2.5, 3}));
  EXPECT_EQ(nice_ticks(1420, 1860, 4), (std::vector<double>{1500, 1600, 1700, 1800}));
  EXPECT_EQ(nice_ticks(-1, 1, 2), (std::vector<double>{-1, 0, 1}));
  EXPECT_EQ(nice_ticks(5, 5, 4), (std::vector<double>{5})) << "an empty span: the value itself";
}

TEST(SvgChart, TickLabelsAreShort) {
  EXPECT_EQ(tick_label(0), "0");
  EXPECT_EQ(tick_label(0.0005), "0.0005");
  EXPECT_EQ(tick_label(3e-05), "3e-05");
  EXPECT_EQ(tick_label(0.30000000000000004), "0.3");
  EXPECT_EQ(tick_label(1500), "1500");
  EXPECT_EQ(tick_label(25000), "25k");
}

TEST(SvgChart, DrawsEverySeriesWithADotPerFinitePoint) {
  LineChart chart{
      "accuracy",
      "epoch",
      {{"train", {1, 2, 3}, {0.5, 0.7, 0.9}}, {"val", {1, 2, 3}, {0.4, std::nan(""), 0.8}}}};
  const std::string svg = line_chart_svg(chart);
  EXPECT_EQ(svg.rfind("<svg class=\"chart\" viewBox=", 0), 0u);
  EXPECT_EQ(count(svg, "<polyline"), 2u);
  EXPECT_EQ(count(svg, "<circle"), 5u) << "the NaN is left out";
  EXPECT_NE(svg.find("class=\"legend\" fill=\"#0072b2\">train<"), std::string::npos);
  EXPECT_NE(svg.find("class=\"legend\" fill=\"#d55e00\">val<"), std::string::npos);
  EXPECT_EQ(svg.find(">1.5<"), std::string::npos) << "epochs are whole numbers";
  EXPECT_EQ(svg.substr(svg.size() - 6), "</svg>");
}

TEST(SvgChart, OneSeriesHasNoLegendAndOnePointStillShows) {
  const std::string svg = line_chart_svg({"lr", "epoch", {{"lr", {1}, {0.1}}}});
  EXPECT_EQ(svg.find("class=\"legend\""), std::string::npos);
  EXPECT_EQ(count(svg, "<circle"), 1u);
}

TEST(SvgChart, TextIsEscapedAndAnEmptyChartSaysSo) {
  const std::string svg = line_chart_svg({"a<b & \"c\"", "epoch", {}});
  EXPECT_NE(svg.find("a&lt;b &amp; &quot;c&quot;"), std::string::npos);
  EXPECT_EQ(svg.find("a<b"), std::string::npos);
  EXPECT_NE(svg.find(">no data<"), std::string::npos);
}

}  // namespace
}  // namespace fct::report
