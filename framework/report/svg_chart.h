// A small line chart as inline SVG, for pages that embed many of them (the training curves of
// every stage in the HTML report): it scales to its container (viewBox, no fixed size), draws one
// polyline per series with a dot per point, so that a one-epoch stage still shows its value, and
// ticks on "nice" round numbers.
#pragma once

#include <string>
#include <vector>

namespace fct::report {

struct ChartSeries {
  std::string name;
  std::vector<double> x, y;  // same length; non-finite points are left out
};

struct LineChart {
  std::string title;
  std::string x_label;
  std::vector<ChartSeries> series;
};

// An <svg> element (no XML prolog), every text escaped; an empty chart says "no data".
std::string line_chart_svg(const LineChart& chart);

// Up to about `count` round values spanning [low, high] (1, 2 or 5 times a power of ten apart).
std::vector<double> nice_ticks(double low, double high, int count);

// A tick label as short as it can be: "0.0005", "1.2k", "3e-05".
std::string tick_label(double value);

}  // namespace fct::report
