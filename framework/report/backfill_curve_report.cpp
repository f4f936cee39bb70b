#include "framework/report/backfill_curve_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "framework/core/atomic_file.h"
#include "framework/core/report_text.h"
#include "framework/eval/backfill_order.h"

namespace fct::report {
namespace {

// Distinguishable on white, in the order curves come (FCT's, then FastFill's).
constexpr const char* kColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

// The stroke says what the order reads: dashed for an oracle (the new embeddings), dotted for an
// order that reads nothing (random), solid for one from stored vectors (σ).
const char* dash_of(const std::string& order) {
  if (!eval::backfill_orders().contains(order)) return "";
  switch (eval::backfill_orders().get(order).needs) {
    case eval::OrderNeed::kNewEmbeddings:
      return "6 3";
    case eval::OrderNeed::kNothing:
      return "2 3";
    case eval::OrderNeed::kSigma:
      break;
  }
  return "";
}

}  // namespace

ResultRow auc_row(const NamedCurve& named) {
  ResultRow row;
  row.case_name = "AUC " + named.name();
  row.description = named.description;
  row.top1 = named.curve.auc_top1();
  row.top5 = named.curve.auc_top5();
  row.mAP = named.curve.auc_mAP();
  row.negative_flips = named.curve.auc_negative_flips();
  row.queries = named.curve.queries;
  return row;
}

nlohmann::json backfill_curves_json(const std::vector<NamedCurve>& curves) {
  auto list = nlohmann::json::array();
  for (const auto& named : curves) {
    const auto& c = named.curve;
    list.push_back({{"curve", named.name()},
                    {"variant", named.variant},
                    {"order", named.order},
                    {"description", named.description},
                    {"fractions", c.fractions},
                    {"backfilled", c.backfilled},
                    {"top1", c.top1},
                    {"top5", c.top5},
                    {"mAP", c.mAP},
                    {"negative_flips", c.negative_flips},
                    {"queries", c.queries},
                    {"auc",
                     {{"top1", c.auc_top1()},
                      {"top5", c.auc_top5()},
                      {"mAP", c.auc_mAP()},
                      {"negative_flips", c.auc_negative_flips()}}}});
  }
  return list;
}

std::string backfill_curves_csv(const std::vector<NamedCurve>& curves) {
  std::string out = "curve,variant,order,fraction,backfilled,top1,top5,mAP,negative_flips\n";
  for (const auto& named : curves) {
    const auto& c = named.curve;
    for (std::size_t i = 0; i < c.fractions.size(); ++i)
      out += fmt::format("{},{},{},{:.6f},{},{:.4f},{:.4f},{:.4f},{:.4f}\n",
                         csv_field(named.name()), csv_field(named.variant), csv_field(named.order),
                         c.fractions[i], c.backfilled[i], c.top1[i], c.top5[i], c.mAP[i],
                         c.negative_flips.empty() ? 0.0 : c.negative_flips[i]);
  }
  return out;
}

std::string backfill_curves_svg(const std::vector<NamedCurve>& curves, const std::string& title) {
  constexpr double kPlotW = 380, kPlotH = 260, kLeft = 56, kTop = 56, kGap = 70, kLegendRow = 18;
  const double legend_top = kTop + kPlotH + 50;
  const double width = kLeft + 2 * kPlotW + kGap + 30;
  const double height = legend_top + kLegendRow * static_cast<double>(curves.size()) + 20;
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">"
      << xml_escape(title) << ": backfilling curves</text>\n";
  for (int p = 0; p < 2; ++p) {
    const bool top1 = p == 0;
    const double left = kLeft + p * (kPlotW + kGap);
    // Each panel's y range: the curves' own, padded, so that small differences stay visible.
    double low = 100.0, high = 0.0;
    for (const auto& named : curves)
      for (double v : top1 ? named.curve.top1 : named.curve.mAP) {
        low = std::min(low, v);
        high = std::max(high, v);
      }
    if (curves.empty() || high <= low) {
      low = 0.0;
      high = 100.0;
    }
    const double pad = 0.05 * (high - low);
    low = std::max(0.0, low - pad);
    high = std::min(100.0, high + pad);
    const auto x_of = [&](double fraction) { return left + fraction * kPlotW; };
    const auto y_of = [&](double value) { return kTop + (high - value) / (high - low) * kPlotH; };
    svg << "<text x=\"" << left + kPlotW / 2 << "\" y=\"" << kTop - 12
        << "\" text-anchor=\"middle\" font-size=\"14\">" << (top1 ? "top-1 %" : "mAP %")
        << "</text>\n"
        << "<rect x=\"" << left << "\" y=\"" << kTop << "\" width=\"" << kPlotW << "\" height=\""
        << kPlotH << "\" fill=\"none\" stroke=\"#888\"/>\n";
    for (int t = 0; t <= 4; ++t) {
      const double fraction = t / 4.0;
      const double value = low + (high - low) * t / 4.0;
      svg << "<text x=\"" << x_of(fraction) << "\" y=\"" << kTop + kPlotH + 16
          << "\" text-anchor=\"middle\">" << fmt::format("{:.2f}", fraction) << "</text>\n"
          << "<text x=\"" << left - 6 << "\" y=\"" << y_of(value) + 4 << "\" text-anchor=\"end\">"
          << fmt::format("{:.1f}", value) << "</text>\n"
          << "<line x1=\"" << left << "\" x2=\"" << left + kPlotW << "\" y1=\"" << y_of(value)
          << "\" y2=\"" << y_of(value) << "\" stroke=\"#eee\"/>\n";
    }
    svg << "<text x=\"" << left + kPlotW / 2 << "\" y=\"" << kTop + kPlotH + 34
        << "\" text-anchor=\"middle\">fraction of the gallery re-embedded by the new "
           "model</text>\n";
    for (std::size_t k = 0; k < curves.size(); ++k) {
      const auto& c = curves[k].curve;
      const auto& values = top1 ? c.top1 : c.mAP;
      svg << "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" << kColours[k % 10]
          << "\" stroke-dasharray=\"" << dash_of(curves[k].order) << "\" points=\"";
      for (std::size_t i = 0; i < values.size(); ++i)
        svg << fmt::format("{:.1f},{:.1f} ", x_of(c.fractions[i]), y_of(values[i]));
      svg << "\"/>\n";
    }
  }
  for (std::size_t k = 0; k < curves.size(); ++k) {
    const double y = legend_top + kLegendRow * static_cast<double>(k);
    svg << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + 36 << "\" y1=\"" << y - 4 << "\" y2=\""
        << y - 4 << "\" stroke-width=\"2\" stroke=\"" << kColours[k % 10]
        << "\" stroke-dasharray=\"" << dash_of(curves[k].order) << "\"/>"
        << "<text x=\"" << kLeft + 44 << "\" y=\"" << y << "\">"
        << xml_escape(curves[k].name() + fmt::format(" — AUC top-1 {:.2f}, mAP {:.2f}",
                                                     curves[k].curve.auc_top1(),
                                                     curves[k].curve.auc_mAP()))
        << "</text>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

void write_backfill_curves(const std::string& directory, const std::vector<NamedCurve>& curves,
                           const std::string& title) {
  write_text_atomically(directory + "/backfill_curves.json",
                        backfill_curves_json(curves).dump(2) + "\n");
  write_text_atomically(directory + "/backfill_curves.csv", backfill_curves_csv(curves));
  write_text_atomically(directory + "/backfill_curves.svg", backfill_curves_svg(curves, title));
}

}  // namespace fct::report
