#include "framework/report/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "framework/core/report_text.h"

namespace fct::report {
namespace {

// Colour-blind-safe (Okabe-Ito), dark enough to read on white and in a greyscale print.
constexpr const char* kColours[] = {"#0072b2", "#d55e00", "#009e73",
                                    "#cc79a7", "#e69f00", "#56b4e9"};

constexpr double kWidth = 260, kHeight = 168;
constexpr double kLeft = 40, kRight = 10, kTop = 30, kBottom = 30;

double nice_step(double span, int count) {
  const double raw = span / std::max(count, 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / magnitude;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude;
}

struct Range {
  double low = std::numeric_limits<double>::infinity();
  double high = -std::numeric_limits<double>::infinity();
  void add(double v) {
    low = std::min(low, v);
    high = std::max(high, v);
  }
  bool empty() const { return !(low <= high); }
};

// A flat series still needs a span to draw against.
Range widened(Range r) {
  if (r.high > r.low) return r;
  const double pad = r.low == 0 ? 1.0 : std::abs(r.low) * 0.1;
  return {r.low - pad, r.high + pad};
}

}  // namespace

std::vector<double> nice_ticks(double low, double high, int count) {
  if (!(high > low) || !std::isfinite(low) || !std::isfinite(high)) return {low};
  const double step = nice_step(high - low, count);
  std::vector<double> ticks;
  const double first = std::ceil(low / step - 1e-9);
  for (int i = 0;; ++i) {
    const double v = (first + i) * step;
    if (v > high + step * 1e-9) break;
    ticks.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  }
  return ticks;
}

std::string tick_label(double value) {
  if (value == 0) return "0";
  if (std::abs(value) >= 1e4) return fmt::format("{:.4g}k", value / 1000);
  return fmt::format("{:.4g}", value);
}

std::string line_chart_svg(const LineChart& chart) {
  Range xs, ys;
  for (const auto& s : chart.series)
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) {
        xs.add(s.x[i]);
        ys.add(s.y[i]);
      }
  std::string out = fmt::format(
      "<svg class=\"chart\" viewBox=\"0 0 {} {}\" xmlns=\"http://www.w3.org/2000/svg\" "
      "role=\"img\" aria-label=\"{}\">\n<title>{}</title>\n",
      kWidth, kHeight, xml_escape(chart.title), xml_escape(chart.title));
  out += fmt::format("<text x=\"{}\" y=\"14\" class=\"chart-title\">{}</text>\n", kLeft,
                     xml_escape(chart.title));
  if (xs.empty()) {
    out +=
        fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#777\">no data</text>",
                    kWidth / 2, kHeight / 2);
    return out + "</svg>";
  }
  // The y axis spans whole ticks, so that the top and bottom lines carry labels.
  Range y = widened(ys);
  const double y_step = nice_step(y.high - y.low, 4);
  y = {std::floor(y.low / y_step + 1e-9) * y_step, std::ceil(y.high / y_step - 1e-9) * y_step};
  const Range x = widened(xs);
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  const auto px = [&](double v) { return kLeft + (v - x.low) / (x.high - x.low) * plot_w; };
  const auto py = [&](double v) { return kTop + (y.high - v) / (y.high - y.low) * plot_h; };

  for (const double t : nice_ticks(y.low, y.high, 4))
    out += fmt::format(
        "<line x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e3e3e3\"/>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\" class=\"tick\">{}</text>\n",
        kLeft, kWidth - kRight, py(t), py(t), kLeft - 4, py(t) + 3.5, xml_escape(tick_label(t)));
  // Epochs are whole numbers: no tick at 1.5.
  const bool integral_x = std::all_of(chart.series.begin(), chart.series.end(), [](const auto& s) {
    return std::all_of(s.x.begin(), s.x.end(), [](double v) { return v == std::floor(v); });
  });
  for (const double t : nice_ticks(x.low, x.high, 5)) {
    if (integral_x && t != std::floor(t)) continue;
    out += fmt::format(
        "<line x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#999\"/>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" class=\"tick\">{}</text>\n",
        px(t), px(t), kTop + plot_h, kTop + plot_h + 4, px(t), kTop + plot_h + 15,
        xml_escape(tick_label(t)));
  }
  out += fmt::format(
      "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#999\"/>\n"
      "<text x=\"{3:.1f}\" y=\"{4:.1f}\" text-anchor=\"middle\" class=\"tick\">{5}</text>\n",
      kLeft, kWidth - kRight, kTop + plot_h, kLeft + plot_w / 2, kHeight - 4,
      xml_escape(chart.x_label));

  double legend_x = kWidth - kRight;
  for (std::size_t k = chart.series.size(); k-- > 0;) {
    const auto& s = chart.series[k];
    const char* colour = kColours[k % std::size(kColours)];
    std::string points, dots;
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      points += fmt::format("{:.1f},{:.1f} ", px(s.x[i]), py(s.y[i]));
      dots +=
          fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.2\"/>", px(s.x[i]), py(s.y[i]));
    }
    out += fmt::format(
        "<g class=\"series\" data-series=\"{0}\" fill=\"{1}\"><polyline points=\"{2}\" "
        "fill=\"none\" stroke=\"{1}\" stroke-width=\"1.6\"/>{3}</g>\n",
        xml_escape(s.name), colour, points, dots);
    if (chart.series.size() > 1) {  // right-aligned legend under the title, last series rightmost
      const double text_w = 5.6 * static_cast<double>(s.name.size());
      out += fmt::format(
          "<text x=\"{0:.1f}\" y=\"25\" text-anchor=\"end\" class=\"legend\" "
          "fill=\"{1}\">{2}</text>"
          "<rect x=\"{3:.1f}\" y=\"20\" width=\"8\" height=\"3\" fill=\"{1}\"/>\n",
          legend_x, colour, xml_escape(s.name), legend_x - text_w - 11);
      legend_x -= text_w + 22;
    }
  }
  return out + "</svg>";
}

}  // namespace fct::report
