#include "framework/report/sweep_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "framework/core/atomic_file.h"
#include "framework/core/report_text.h"

namespace fct::report {
namespace {

// Every case that appears in any point, in first-seen order.
std::vector<std::string> cases_of(const std::vector<SweepPointResult>& points) {
  std::vector<std::string> cases;
  for (const auto& p : points)
    for (const auto& row : p.rows)
      if (std::find(cases.begin(), cases.end(), row.case_name) == cases.end())
        cases.push_back(row.case_name);
  return cases;
}

const ResultRow* find_case(const SweepPointResult& point, const std::string& name) {
  for (const auto& row : point.rows)
    if (row.case_name == name) return &row;
  return nullptr;
}

// The value `key` takes at `point` ("" when the point does not set it).
std::string value_of(const config::SweepPoint& point, const std::string& key) {
  for (const auto& o : point.overrides)
    if (o.rfind(key + "=", 0) == 0) return o.substr(key.size() + 1);
  return "";
}

}  // namespace

std::string sweep_markdown(const std::vector<SweepPointResult>& points, const std::string& title) {
  const auto cases = cases_of(points);
  std::ostringstream out;
  out << "# " << title << "\n\ntop-1 / mAP (%) per case\n\n| point |";
  for (const auto& c : cases) out << " " << c << " |";
  out << "\n|---|";
  for (std::size_t i = 0; i < cases.size(); ++i) out << "---|";
  out << "\n";
  for (const auto& p : points) {
    out << "| " << p.point.label << " |";
    for (const auto& c : cases) {
      const ResultRow* row = find_case(p, c);
      out << " " << (row ? fixed2(row->top1) + " / " + fixed2(row->mAP) : "–") << " |";
    }
    out << "\n";
  }
  return out.str();
}

std::string sweep_csv(const std::vector<SweepPointResult>& points) {
  std::ostringstream out;
  out << "point,overrides,case,top1,top5,mAP,negative_flips,queries\n";
  for (const auto& p : points)
    for (const auto& row : p.rows)
      out << p.point.index << "," << csv_field(p.point.label) << "," << csv_field(row.case_name)
          << "," << row.top1 << "," << row.top5 << "," << row.mAP << "," << row.negative_flips
          << "," << row.queries << "\n";
  return out.str();
}

nlohmann::json sweep_json(const std::vector<SweepPointResult>& points) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& p : points)
    list.push_back({{"point", p.point.index},
                    {"overrides", p.point.overrides},
                    {"directory", p.directory},
                    {"results", results_json(p.rows)}});
  return list;
}

std::string sweep_svg(const std::vector<SweepPointResult>& points, const std::string& key,
                      const std::string& case_name) {
  constexpr double kWidth = 640, kHeight = 400, kLeft = 60, kRight = 20, kTop = 40, kBottom = 60;
  // x positions: numeric values on a linear scale, otherwise evenly spaced categories.
  std::vector<std::string> labels;
  std::vector<double> xs;
  bool numeric = true;
  for (const auto& p : points) {
    labels.push_back(value_of(p.point, key));
    char* end = nullptr;
    const double v = std::strtod(labels.back().c_str(), &end);
    numeric = numeric && !labels.back().empty() && end != nullptr && *end == '\0';
    xs.push_back(v);
  }
  if (!numeric)
    for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<double>(i);
  double lo = xs.empty() ? 0 : *std::min_element(xs.begin(), xs.end());
  double hi = xs.empty() ? 1 : *std::max_element(xs.begin(), xs.end());
  if (hi <= lo) hi = lo + 1;
  const auto px = [&](double x) {
    return kLeft + (x - lo) / (hi - lo) * (kWidth - kLeft - kRight);
  };
  const auto py = [&](double y) { return kTop + (100 - y) / 100 * (kHeight - kTop - kBottom); };

  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << kWidth / 2 << "\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">"
      << xml_escape(case_name) << ": top-1 and mAP against " << xml_escape(key) << "</text>\n";
  for (int y = 0; y <= 100; y += 20)  // grid and y labels
    svg << "<line x1=\"" << kLeft << "\" x2=\"" << kWidth - kRight << "\" y1=\"" << py(y)
        << "\" y2=\"" << py(y) << "\" stroke=\"#ddd\"/><text x=\"" << kLeft - 8 << "\" y=\""
        << py(y) + 4 << "\" text-anchor=\"end\">" << y << "</text>\n";
  for (std::size_t i = 0; i < xs.size(); ++i)
    svg << "<text x=\"" << px(xs[i]) << "\" y=\"" << kHeight - kBottom + 18
        << "\" text-anchor=\"middle\">" << xml_escape(labels[i]) << "</text>\n";
  svg << "<text x=\"" << kWidth / 2 << "\" y=\"" << kHeight - 15 << "\" text-anchor=\"middle\">"
      << xml_escape(key) << "</text>\n";
  const auto series = [&](const char* colour, const char* name, double ResultRow::*field,
                          int legend_row) {
    std::string points_attr;
    for (std::size_t i = 0; i < points.size(); ++i)
      if (const ResultRow* row = find_case(points[i], case_name)) {
        points_attr += fixed2(px(xs[i])) + "," + fixed2(py(row->*field)) + " ";
        svg << "<circle cx=\"" << px(xs[i]) << "\" cy=\"" << py(row->*field) << "\" r=\"3\" fill=\""
            << colour << "\"/>\n";
      }
    svg << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2\" points=\""
        << points_attr << "\"/>\n"
        << "<text x=\"" << kWidth - kRight - 70 << "\" y=\"" << kTop + 14 * legend_row
        << "\" fill=\"" << colour << "\">" << name << "</text>\n";
  };
  series("#1f77b4", "top-1 %", &ResultRow::top1, 1);
  series("#d62728", "mAP %", &ResultRow::mAP, 2);
  svg << "</svg>\n";
  return svg.str();
}

void write_sweep_summary(const std::string& directory, const std::vector<SweepPointResult>& points,
                         const std::string& title) {
  write_text_atomically(directory + "/summary.md", sweep_markdown(points, title));
  write_text_atomically(directory + "/summary.csv", sweep_csv(points));
  write_text_atomically(directory + "/summary.json", sweep_json(points).dump(2) + "\n");
  if (points.empty() || points.front().point.overrides.empty()) return;
  const std::string first = points.front().point.overrides.front();
  const std::string key = first.substr(0, first.find('='));
  std::string case_name;
  for (const std::string preferred : {"new/fct+si", "new/fct"})
    if (case_name.empty() && find_case(points.front(), preferred)) case_name = preferred;
  if (case_name.empty() && !points.front().rows.empty())
    case_name = points.front().rows.front().case_name;
  write_text_atomically(directory + "/summary.svg", sweep_svg(points, key, case_name));
}

}  // namespace fct::report
