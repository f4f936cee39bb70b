// Backfilling curves (fct-protocol.md §5; FastFill): a transformed gallery h(φ_old, ψ) is
// re-embedded with φ_new in a given order; at fraction β = i/steps (i = 0 … steps, 22 points for
// the protocol's steps = 21) the first ⌊βN⌋ items of the order carry their new embedding and the
// rest their transformed one, queries always φ_new. The curve is each retrieval metric at every β;
// its AUC is the plain mean of the points (not the trapezoid rule).
//
// Note [Incremental backfilling curve]
// Between two fractions only the gallery items that get re-embedded change, so nothing else is
// recomputed: per block of queries the distances to the transformed gallery and to the new gallery
// are each computed once (two matrix products instead of one per fraction), and a row of "mixed"
// distances starts as the transformed one; going to the next fraction copies in only the columns
// of the items that change, then ranks the query again (O(N + P log P), see retrieval.h). The
// distances of a column are exactly those a full evaluation of the mixed gallery computes (the same
// formula and norm terms per item), so the curve equals recomputing every fraction from scratch —
// up to BLAS rounding a dot product differently for another matrix shape (retrieval.h).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "framework/distributed/communicator.h"
#include "framework/eval/retrieval.h"

namespace fct::eval {

struct BackfillCurveOptions {
  RetrievalOptions retrieval;
  int64_t steps = 21;  // fractions i/steps for i = 0 … steps
};

struct BackfillCurve {
  std::vector<double> fractions;    // β_i = i / steps
  std::vector<int64_t> backfilled;  // ⌊β_i N⌋ items carry φ_new
  std::vector<double> top1, top5, mAP;
  std::vector<double> negative_flips;  // vs the reference; empty without one
  int64_t queries = 0;

  double auc_top1() const;
  double auc_top5() const;
  double auc_mAP() const;
  double auc_negative_flips() const;  // 0 without a reference
};

// The plain mean of a curve's points; fct::Error for an empty curve.
double curve_auc(const std::vector<double>& points);

// Collective over `comm` like evaluate_retrieval: every rank passes the same sets; `before` (h) and
// `after` (φ_new) are the same gallery items in the same rows (equal ids and labels, else
// DataError); `order` an int64 [N] permutation of the gallery rows. With `reference` (old/old of
// the same queries) the negative-flip rate is recorded at every point. Memory: one block of queries
// × N float32 distances, twice.
BackfillCurve evaluate_backfill_curve(distributed::Communicator& comm, const EmbeddingSet& query,
                                      const EmbeddingSet& before, const EmbeddingSet& after,
                                      const torch::Tensor& order,
                                      const BackfillCurveOptions& options = {},
                                      const RetrievalResult* reference = nullptr);

// The same in this process alone.
BackfillCurve evaluate_backfill_curve(const EmbeddingSet& query, const EmbeddingSet& before,
                                      const EmbeddingSet& after, const torch::Tensor& order,
                                      const BackfillCurveOptions& options = {},
                                      const RetrievalResult* reference = nullptr);

// The definition, literally: each fraction's mixed gallery built and evaluated from scratch
// (steps + 1 full evaluations). For tests and the benchmark of the incremental version.
BackfillCurve recompute_backfill_curve(const EmbeddingSet& query, const EmbeddingSet& before,
                                       const EmbeddingSet& after, const torch::Tensor& order,
                                       const BackfillCurveOptions& options = {},
                                       const RetrievalResult* reference = nullptr);

}  // namespace fct::eval
