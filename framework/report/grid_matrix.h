// The results of a compatibility grid as a matrix: old models down, new models across, each cell
// the top-1 / mAP of the new model's queries against the old gallery transformed by h (with and
// without side-information, and BCT where the pair has it), old/old and new/new on the margins.
// Written as grid.md, grid.csv (one row per pair and case), grid.json and grid.svg (heatmaps).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "framework/report/results_table.h"

namespace fct::report {

struct GridCell {
  std::string old_name, new_name;
  std::string directory;
  std::vector<ResultRow> rows;  // every case of the pair's study
};

struct GridResults {
  std::string title;
  std::vector<std::string> old_names, new_names;
  std::vector<GridCell> cells;  // pairs studied; a pair left out of the grid has no cell

  // The row of `case_name` for old × new; nullopt when the pair or the case is absent.
  std::optional<ResultRow> find(const std::string& old_name, const std::string& new_name,
                                const std::string& case_name) const;
};

std::string grid_markdown(const GridResults& results);
std::string grid_csv(const GridResults& results);
nlohmann::json grid_json(const GridResults& results);
// Two heatmaps side by side (top-1 and mAP of new/fct+si), margins old/old and new/new in grey.
std::string grid_svg(const GridResults& results);

// grid.{md,csv,json,svg} in `directory`, each atomically (rank 0 only).
void write_grid_results(const std::string& directory, const GridResults& results);

}  // namespace fct::report
