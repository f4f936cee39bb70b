// The results of a study: one row per compatibility case, printed as a table and written as
// results.json (a list of {case, top1, top5, mAP, negative_flips, ...}, percentages),
// results.csv and results.md, each atomically.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace fct::report {

struct ResultRow {
  std::string case_name;  // "old/old", "new/fct+si", ...
  std::string description;
  double top1 = 0, top5 = 0, mAP = 0;
  double negative_flips = 0;  // vs old/old; 0 for old/old itself
  int64_t queries = 0;
};

std::string format_results_table(const std::vector<ResultRow>& rows);
std::string results_markdown(const std::vector<ResultRow>& rows, const std::string& title);
std::string results_csv(const std::vector<ResultRow>& rows);
nlohmann::json results_json(const std::vector<ResultRow>& rows);
// The rows of a results_json() list; throws fct::Error naming `source` when it is not one.
std::vector<ResultRow> results_from_json(const nlohmann::json& list, const std::string& source);

// results.json, results.csv, results.md in `directory` (rank 0 only).
void write_results(const std::string& directory, const std::vector<ResultRow>& rows,
                   const std::string& title);

}  // namespace fct::report
