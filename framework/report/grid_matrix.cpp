#include "framework/report/grid_matrix.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "framework/core/atomic_file.h"
#include "framework/core/report_text.h"

namespace fct::report {
namespace {

// The matrices a reader looks for, in order: the case and how a heading names it.
const std::vector<std::pair<std::string, std::string>> kMatrixCases = {
    {"new/fct+si", "FCT with side-information: new queries, gallery h(old, ψ)"},
    {"new/fct", "FCT without side-information: new queries, gallery h(old)"},
    {"bct/old", "BCT: BCT queries, old gallery (pairs with equal embedding dimensions)"},
    {"new/old", "No compatibility: new queries, old gallery"},
};

// old/old of an old model (the same in every pair it is in), new/new of a new model.
std::optional<ResultRow> margin(const GridResults& results, const std::string& name,
                                bool old_side) {
  for (const auto& cell : results.cells) {
    if ((old_side ? cell.old_name : cell.new_name) != name) continue;
    for (const auto& row : cell.rows)
      if (row.case_name == (old_side ? "old/old" : "new/new")) return row;
  }
  return std::nullopt;
}

std::string both(const std::optional<ResultRow>& row) {
  return row ? fixed2(row->top1) + " / " + fixed2(row->mAP) : "–";
}

bool any_case(const GridResults& results, const std::string& case_name) {
  for (const auto& cell : results.cells)
    for (const auto& row : cell.rows)
      if (row.case_name == case_name) return true;
  return false;
}

// White to dark blue over 0–100 %.
std::string colour(double percent) {
  const double t = std::clamp(percent / 100.0, 0.0, 1.0);
  const auto channel = [t](int from, int to) {
    return static_cast<int>(std::lround(from + (to - from) * t));
  };
  char text[16];
  std::snprintf(text, sizeof text, "#%02x%02x%02x", channel(247, 8), channel(251, 48),
                channel(255, 107));
  return text;
}

}  // namespace

std::optional<ResultRow> GridResults::find(const std::string& old_name, const std::string& new_name,
                                           const std::string& case_name) const {
  for (const auto& cell : cells) {
    if (cell.old_name != old_name || cell.new_name != new_name) continue;
    for (const auto& row : cell.rows)
      if (row.case_name == case_name) return row;
  }
  return std::nullopt;
}

std::string grid_markdown(const GridResults& results) {
  std::ostringstream out;
  out << "# " << results.title << "\n\n"
      << results.old_names.size() << " old × " << results.new_names.size() << " new models, "
      << results.cells.size() << " pairs. Cells: top-1 / mAP (%); old/old on the right, new/new "
      << "at the bottom.\n";
  for (const auto& [case_name, heading] : kMatrixCases) {
    if (!any_case(results, case_name)) continue;
    out << "\n## " << heading << " (" << case_name << ")\n\n| old \\ new |";
    for (const auto& n : results.new_names) out << " " << n << " |";
    out << " old/old |\n|---|";
    for (std::size_t i = 0; i <= results.new_names.size(); ++i) out << "---|";
    out << "\n";
    for (const auto& o : results.old_names) {
      out << "| " << o << " |";
      for (const auto& n : results.new_names)
        out << " " << both(results.find(o, n, case_name)) << " |";
      out << " " << both(margin(results, o, true)) << " |\n";
    }
    out << "| new/new |";
    for (const auto& n : results.new_names) out << " " << both(margin(results, n, false)) << " |";
    out << " |\n";
  }
  return out.str();
}

std::string grid_csv(const GridResults& results) {
  std::ostringstream out;
  out << "old,new,case,top1,top5,mAP,negative_flips,queries\n";
  for (const auto& cell : results.cells)
    for (const auto& row : cell.rows)
      out << csv_field(cell.old_name) << "," << csv_field(cell.new_name) << ","
          << csv_field(row.case_name) << "," << row.top1 << "," << row.top5 << "," << row.mAP << ","
          << row.negative_flips << "," << row.queries << "\n";
  return out.str();
}

nlohmann::json grid_json(const GridResults& results) {
  nlohmann::json json;
  json["title"] = results.title;
  json["old_models"] = results.old_names;
  json["new_models"] = results.new_names;
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& cell : results.cells)
    pairs.push_back({{"old", cell.old_name},
                     {"new", cell.new_name},
                     {"directory", cell.directory},
                     {"results", results_json(cell.rows)}});
  json["pairs"] = pairs;
  // matrices[case][metric][old][new]; null where the pair or case is absent.
  nlohmann::json matrices;
  for (const auto& [case_name, heading] : kMatrixCases) {
    for (const auto& [metric, field] :
         {std::pair{"top1", &ResultRow::top1}, std::pair{"mAP", &ResultRow::mAP}}) {
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& o : results.old_names) {
        nlohmann::json row = nlohmann::json::array();
        for (const auto& n : results.new_names) {
          const auto r = results.find(o, n, case_name);
          row.push_back(r ? nlohmann::json((*r).*field) : nlohmann::json(nullptr));
        }
        rows.push_back(row);
      }
      matrices[case_name][metric] = rows;
    }
  }
  json["matrices"] = matrices;
  return json;
}

std::string grid_svg(const GridResults& results) {
  constexpr double kCell = 64, kRowLabel = 150, kTop = 70, kGap = 40, kColumnLabel = 110;
  const auto columns = static_cast<double>(results.new_names.size() + 1);  // + old/old
  const auto rows = static_cast<double>(results.old_names.size() + 1);     // + new/new
  const double panel = kRowLabel + columns * kCell;
  const double width = 2 * panel + kGap;
  const double height = kTop + kColumnLabel + rows * kCell + 30;
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">"
      << xml_escape(results.title) << ": new/fct+si (rows old, columns new)</text>\n";
  const auto cell_rect = [&](double x, double y, const std::optional<ResultRow>& row,
                             double ResultRow::*field, bool margin_cell) {
    const double value = row ? (*row).*field : 0.0;
    const std::string fill = !row ? "#eeeeee" : margin_cell ? "#d9d9d9" : colour(value);
    svg << "<rect x=\"" << x << "\" y=\"" << y << "\" width=\"" << kCell - 2 << "\" height=\""
        << kCell - 2 << "\" fill=\"" << fill << "\"/>";
    if (row)
      svg << "<text x=\"" << x + kCell / 2 - 1 << "\" y=\"" << y + kCell / 2 + 4
          << "\" text-anchor=\"middle\" fill=\"" << (!margin_cell && value > 55 ? "white" : "black")
          << "\">" << fixed2(value) << "</text>";
    svg << "\n";
  };
  for (int p = 0; p < 2; ++p) {
    const double left = p * (panel + kGap);
    const auto field = p == 0 ? &ResultRow::top1 : &ResultRow::mAP;
    const double grid_left = left + kRowLabel;
    const double grid_top = kTop + kColumnLabel;
    svg << "<text x=\"" << grid_left + columns * kCell / 2 << "\" y=\"" << kTop - 20
        << "\" text-anchor=\"middle\" font-size=\"14\">" << (p == 0 ? "top-1 %" : "mAP %")
        << "</text>\n";
    std::vector<std::string> headings = results.new_names;
    headings.push_back("old/old");
    for (std::size_t c = 0; c < headings.size(); ++c) {
      const double x = grid_left + c * kCell + kCell / 2;
      const double y = grid_top - 8;
      svg << "<text x=\"" << x << "\" y=\"" << y << "\" transform=\"rotate(-45 " << x << " " << y
          << ")\">" << xml_escape(headings[c]) << "</text>\n";
    }
    for (std::size_t r = 0; r < results.old_names.size(); ++r) {
      const double y = grid_top + r * kCell;
      svg << "<text x=\"" << grid_left - 8 << "\" y=\"" << y + kCell / 2 + 4
          << "\" text-anchor=\"end\">" << xml_escape(results.old_names[r]) << "</text>\n";
      for (std::size_t c = 0; c < results.new_names.size(); ++c)
        cell_rect(grid_left + c * kCell, y,
                  results.find(results.old_names[r], results.new_names[c], "new/fct+si"), field,
                  false);
      cell_rect(grid_left + results.new_names.size() * kCell, y,
                margin(results, results.old_names[r], true), field, true);
    }
    const double last = grid_top + results.old_names.size() * kCell;
    svg << "<text x=\"" << grid_left - 8 << "\" y=\"" << last + kCell / 2 + 4
        << "\" text-anchor=\"end\">new/new</text>\n";
    for (std::size_t c = 0; c < results.new_names.size(); ++c)
      cell_rect(grid_left + c * kCell, last, margin(results, results.new_names[c], false), field,
                true);
  }
  svg << "</svg>\n";
  return svg.str();
}

void write_grid_results(const std::string& directory, const GridResults& results) {
  write_text_atomically(directory + "/grid.md", grid_markdown(results));
  write_text_atomically(directory + "/grid.csv", grid_csv(results));
  write_text_atomically(directory + "/grid.json", grid_json(results).dump(2) + "\n");
  write_text_atomically(directory + "/grid.svg", grid_svg(results));
}

}  // namespace fct::report
