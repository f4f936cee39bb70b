// `fct backfill plan`: the first half of partial backfilling (docs/backfilling.md, fct-protocol.md
// §5). An upgraded gallery (fct transform) holds h(φ_old, ψ) for every item; the plan fixes the
// order in which `fct backfill apply` will replace items by their new-model embedding, computed
// from images a budget at a time, and adds the columns that record, per item, where it stands:
//   backfill_position  int64 [N]  the item's place in the order (0 = re-embedded first)
//   embedded_by        int64 [N]  0 = the transformation h (model_hash), 1 = the new model
//                                 (target_model_hash); all 0 after the plan
//   backfill_batch     int64 [N]  -1 = not re-embedded; else the apply batch that re-embedded it
// and the attributes backfill_order, backfill_seed, backfill_planned, embedded_by_0 (h's file
// hash), embedded_by_1 (the new model's file hash). The store is rewritten whole under a temporary
// name and renamed over itself (Note [Write, then rename]), so a crash leaves the old store.
#pragma once

#include <cstdint>
#include <string>

#include "framework/distributed/communicator.h"

namespace fct::backfill {

struct BackfillPlanJob {
  std::string store_path;        // an upgraded store (fct transform): has target_model_hash
  std::string order = "random";  // a name of eval::backfill_orders()
  uint64_t seed = 0;             // for `random`
  std::string new_store_path;    // `distance` only: the new model's store of the same split
  int64_t chunk_rows = 8192;     // rows per rank and round while copying
};

struct BackfillPlanSummary {
  int64_t rows = 0;
  std::string order;
};

// Collective over every rank of `comm` (each copies its share of the rows). Refuses (fct::Error
// naming the store) a store that is not an upgraded one, one where some items are re-embedded
// already (re-planning would move them out of the prefix of the order that apply relies on), and
// an order whose inputs are missing (no `sigma` column; no or a mismatched --new-store).
BackfillPlanSummary run_backfill_plan(const BackfillPlanJob& job, distributed::Communicator& comm);

}  // namespace fct::backfill
