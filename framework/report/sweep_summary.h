// The summary of a sweep: one row per point (its overrides, then top-1 and mAP of every case of
// its study), as Markdown, CSV and JSON, and an SVG plot of the first swept key against top-1 and
// mAP of the updated gallery (new/fct+si, else the first updated case).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "framework/config/sweep.h"
#include "framework/report/results_table.h"

namespace fct::report {

struct SweepPointResult {
  config::SweepPoint point;
  std::string directory;
  std::vector<ResultRow> rows;
};

std::string sweep_markdown(const std::vector<SweepPointResult>& points, const std::string& title);
std::string sweep_csv(const std::vector<SweepPointResult>& points);
nlohmann::json sweep_json(const std::vector<SweepPointResult>& points);
// A line plot: x = the value of `key` at each point (numeric values on a linear axis, others as
// categories), y = top-1 and mAP (%) of case `case_name`.
std::string sweep_svg(const std::vector<SweepPointResult>& points, const std::string& key,
                      const std::string& case_name);
// summary.{md,csv,json,svg} in `directory`, each atomically.
void write_sweep_summary(const std::string& directory, const std::vector<SweepPointResult>& points,
                         const std::string& title);

}  // namespace fct::report
