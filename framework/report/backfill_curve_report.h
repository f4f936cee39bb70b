// The backfilling curves of a study (eval/backfill_curve.h), reported: one AUC row per curve for
// the results table, and backfill_curves.{json,csv,svg} (every point of every curve; a plot of
// top-1 and mAP against the backfilled fraction, one line per curve).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "framework/eval/backfill_curve.h"
#include "framework/report/results_table.h"

namespace fct::report {

struct NamedCurve {
  std::string variant;  // the gallery's h: "fct", "fct+si", "fastfill", "fastfill+si"
  std::string order;    // "random", "sigma", "distance"
  std::string description;
  eval::BackfillCurve curve;

  std::string name() const { return variant + " " + order; }
};

// "AUC <variant> <order>" with the curve's AUCs as top-1/top-5/mAP/negative flips.
ResultRow auc_row(const NamedCurve& curve);

nlohmann::json backfill_curves_json(const std::vector<NamedCurve>& curves);
// Long format: curve, variant, order, fraction, backfilled, top1, top5, mAP, negative_flips.
std::string backfill_curves_csv(const std::vector<NamedCurve>& curves);
std::string backfill_curves_svg(const std::vector<NamedCurve>& curves, const std::string& title);

// backfill_curves.{json,csv,svg} in `directory`, each atomically (rank 0 only).
void write_backfill_curves(const std::string& directory, const std::vector<NamedCurve>& curves,
                           const std::string& title);

}  // namespace fct::report
