#include "framework/report/results_table.h"

#include <fmt/format.h>

#include <algorithm>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/report_text.h"

namespace fct::report {

std::string format_results_table(const std::vector<ResultRow>& rows) {
  // As wide as the longest case name (AUC rows are longer than the protocol's cases).
  std::size_t width = 12;
  for (const auto& row : rows) width = std::max(width, row.case_name.size());
  std::string out = fmt::format("{:<{}} {:>7} {:>7} {:>7} {:>10}  {}\n", "case", width, "top-1",
                                "top-5", "mAP", "neg.flips", "what");
  out += std::string(width + 1 + 7 + 1 + 7 + 1 + 7 + 1 + 10, '-') + "\n";
  for (const auto& row : rows)
    out += fmt::format("{:<{}} {:>7.2f} {:>7.2f} {:>7.2f} {:>10.2f}  {}\n", row.case_name, width,
                       row.top1, row.top5, row.mAP, row.negative_flips, row.description);
  return out;
}

std::string results_markdown(const std::vector<ResultRow>& rows, const std::string& title) {
  std::string out = "# " + title + "\n\n";
  out += "| case | top-1 | top-5 | mAP | negative flips | what |\n|---|---:|---:|---:|---:|---|\n";
  for (const auto& row : rows)
    out += fmt::format("| {} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {} |\n", row.case_name, row.top1,
                       row.top5, row.mAP, row.negative_flips, row.description);
  out +=
      "\nPercentages; query/gallery; negative flips: queries right under old/old and wrong "
      "under the case. AUC rows: the mean of a backfilling curve's points (gallery re-embedded "
      "by the new model in the named order, fractions i/steps).\n";
  return out;
}

std::string results_csv(const std::vector<ResultRow>& rows) {
  std::string out = "case,top1,top5,mAP,negative_flips,queries\n";
  for (const auto& row : rows)
    out += fmt::format("{},{:.4f},{:.4f},{:.4f},{:.4f},{}\n", csv_field(row.case_name), row.top1,
                       row.top5, row.mAP, row.negative_flips, row.queries);
  return out;
}

nlohmann::json results_json(const std::vector<ResultRow>& rows) {
  auto list = nlohmann::json::array();
  for (const auto& row : rows)
    list.push_back({{"case", row.case_name},
                    {"top1", row.top1},
                    {"top5", row.top5},
                    {"mAP", row.mAP},
                    {"negative_flips", row.negative_flips},
                    {"queries", row.queries},
                    {"description", row.description}});
  return list;
}

std::vector<ResultRow> results_from_json(const nlohmann::json& list, const std::string& source) {
  std::vector<ResultRow> rows;
  try {
    for (const auto& r : list)
      rows.push_back({r.at("case").get<std::string>(), r.value("description", std::string()),
                      r.at("top1").get<double>(), r.at("top5").get<double>(),
                      r.at("mAP").get<double>(), r.value("negative_flips", 0.0),
                      r.value("queries", int64_t{0})});
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": not a list of result rows (" + e.what() + ")");
  }
  return rows;
}

void write_results(const std::string& directory, const std::vector<ResultRow>& rows,
                   const std::string& title) {
  write_text_atomically(directory + "/results.json", results_json(rows).dump(2) + "\n");
  write_text_atomically(directory + "/results.csv", results_csv(rows));
  write_text_atomically(directory + "/results.md", results_markdown(rows, title));
}

}  // namespace fct::report
