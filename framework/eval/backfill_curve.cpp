#include "framework/eval/backfill_curve.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <numeric>

#include "framework/core/error.h"
#include "framework/eval/backfill_order.h"
#include "framework/eval/query_ranking.h"

namespace fct::eval {
namespace {

using detail::GalleryIndex;
using detail::PreparedSet;
using detail::QueryEvaluator;

void check_options(const BackfillCurveOptions& options) {
  if (options.steps < 1)
    throw ConfigError("backfilling curve: steps must be at least 1, got " +
                      std::to_string(options.steps));
}

// Items carrying φ_new at each point: ⌊i·N/steps⌋, exact in integers.
std::vector<int64_t> backfilled_counts(int64_t rows, int64_t steps) {
  std::vector<int64_t> counts;
  for (int64_t i = 0; i <= steps; ++i) counts.push_back(i * rows / steps);
  return counts;
}

void check_same_items(const EmbeddingSet& before, const EmbeddingSet& after) {
  for (const auto* set : {&before, &after})
    if (!set->embeddings.defined() || set->embeddings.dim() != 2 || !set->ids.defined() ||
        !set->labels.defined())
      throw DataError("backfilling curve: galleries need embeddings [N, d], labels and ids");
  if (before.embeddings.size(0) != after.embeddings.size(0) ||
      before.embeddings.size(1) != after.embeddings.size(1))
    throw DataError("backfilling curve: the transformed gallery is " +
                    std::to_string(before.embeddings.size(0)) + " x " +
                    std::to_string(before.embeddings.size(1)) + ", the new one " +
                    std::to_string(after.embeddings.size(0)) + " x " +
                    std::to_string(after.embeddings.size(1)) + ": not the same items in one space");
  if (!torch::equal(before.ids.to(torch::kInt64), after.ids.to(torch::kInt64)) ||
      !torch::equal(before.labels.to(torch::kInt64), after.labels.to(torch::kInt64)))
    throw DataError(
        "backfilling curve: the transformed and the new gallery hold other samples (ids or labels "
        "differ row by row)");
}

// Appends the point of fraction i/steps, evaluated as `result`.
void add_point(BackfillCurve& curve, int64_t i, int64_t steps, const RetrievalResult& result,
               const RetrievalResult* reference) {
  curve.fractions.push_back(static_cast<double>(i) / static_cast<double>(steps));
  curve.top1.push_back(result.top1);
  curve.top5.push_back(result.top5);
  curve.mAP.push_back(result.mAP);
  if (reference != nullptr) curve.negative_flips.push_back(negative_flip_rate(*reference, result));
  curve.queries = result.queries;
}

BackfillCurve curve_from(const torch::Tensor& packed, const std::vector<int64_t>& counts,
                         int64_t steps, const RetrievalResult* reference) {
  BackfillCurve curve;
  curve.backfilled = counts;
  for (int64_t i = 0; i <= steps; ++i)
    add_point(curve, i, steps, detail::summarise(packed[i]), reference);
  return curve;
}

// Per-query outcomes of queries [begin, end) at every point: packed[i] is [4, N_query] as in
// detail::store_outcome, filled for these queries.
void evaluate_curve_queries(const PreparedSet& query, const PreparedSet& before,
                            const PreparedSet& after, const int64_t* order,
                            const std::vector<int64_t>& counts, const RetrievalOptions& options,
                            int64_t begin, int64_t end, torch::Tensor& packed) {
  const int64_t n_gallery = before.size;
  const int64_t count = end - begin;
  if (count <= 0 || n_gallery == 0) return;
  const GalleryIndex index(before);  // labels and ids are the same in both galleries
  // Two rows of distances per query: the automatic block keeps both within the usual budget.
  const int64_t rows = detail::block_rows(options, 2 * n_gallery, count);
  const torch::Tensor before_t = before.embeddings.t();
  const torch::Tensor after_t = after.embeddings.t();
  torch::Tensor mixed_buffer = torch::empty({rows, n_gallery}, torch::kFloat32);
  torch::Tensor after_buffer = torch::empty({rows, n_gallery}, torch::kFloat32);
  const int64_t* query_labels = query.labels.data_ptr<int64_t>();
  const int64_t* query_ids = query.ids.data_ptr<int64_t>();
  const int64_t points = static_cast<int64_t>(counts.size());
  std::vector<double*> out(static_cast<size_t>(points));
  for (int64_t i = 0; i < points; ++i) out[i] = packed[i].data_ptr<double>();
  const int64_t stride = packed.size(2);

  for (int64_t block_begin = begin; block_begin < end; block_begin += rows) {
    const int64_t b = std::min(rows, end - block_begin);
    torch::Tensor mixed = mixed_buffer.narrow(0, 0, b);
    torch::Tensor new_rows = after_buffer.narrow(0, 0, b);
    const auto queries = query.embeddings.narrow(0, block_begin, b);
    torch::mm_out(mixed, queries, before_t);
    torch::mm_out(new_rows, queries, after_t);
    float* mixed_data = mixed.data_ptr<float>();
    float* new_data = new_rows.data_ptr<float>();
    at::parallel_for(0, b, 1, [&](int64_t row_begin, int64_t row_end) {
      QueryEvaluator evaluator(before, index);
      for (int64_t r = row_begin; r < row_end; ++r) {
        const int64_t q = block_begin + r;
        float* row = mixed_data + r * n_gallery;
        float* new_row = new_data + r * n_gallery;
        detail::dots_to_distances(row, n_gallery, query.norm_term[q], before.norm_term.data(),
                                  options.distance);
        detail::dots_to_distances(new_row, n_gallery, query.norm_term[q], after.norm_term.data(),
                                  options.distance);
        int64_t done = 0;
        for (int64_t i = 0; i < points; ++i) {
          for (; done < counts[i]; ++done) row[order[done]] = new_row[order[done]];
          detail::store_outcome(out[i], stride, q,
                                evaluator.evaluate(row, query_labels[q], query_ids[q]));
        }
      }
    });
  }
}

BackfillCurve incremental_curve(distributed::Communicator* comm, const EmbeddingSet& query,
                                const EmbeddingSet& before, const EmbeddingSet& after,
                                const torch::Tensor& order, const BackfillCurveOptions& options,
                                const RetrievalResult* reference) {
  check_options(options);
  check_same_items(before, after);
  const int64_t n_gallery = before.embeddings.size(0);
  check_permutation(order, n_gallery, "backfilling curve: the order");
  const auto distance = options.retrieval.distance;
  const PreparedSet q = detail::prepare(query, distance, "query");
  const PreparedSet b = detail::prepare(before, distance, "transformed gallery");
  const PreparedSet a = detail::prepare(after, distance, "new gallery");
  detail::check_compatible(q, b);
  detail::block_rows(options.retrieval, n_gallery, 1);  // the option check, before any collective
  const auto counts = backfilled_counts(n_gallery, options.steps);
  const torch::Tensor order_cpu = order.to(torch::kCPU).contiguous();

  const int64_t n = q.size;
  const int rank = comm != nullptr ? comm->rank() : 0;
  const int size = comm != nullptr ? comm->size() : 1;
  const int64_t begin = n * rank / size, end = n * (rank + 1) / size;
  // Zeros outside this rank's queries: the sum over ranks is exact.
  torch::Tensor packed =
      torch::zeros({options.steps + 1, detail::kOutcomeFields, n}, torch::kFloat64);
  evaluate_curve_queries(q, b, a, order_cpu.data_ptr<int64_t>(), counts, options.retrieval, begin,
                         end, packed);
  if (size > 1) comm->all_reduce(packed, distributed::ReduceOp::kSum);
  return curve_from(packed, counts, options.steps, reference);
}

}  // namespace

double curve_auc(const std::vector<double>& points) {
  if (points.empty()) throw Error("the AUC of an empty backfilling curve is undefined");
  return std::accumulate(points.begin(), points.end(), 0.0) / static_cast<double>(points.size());
}

double BackfillCurve::auc_top1() const {
  return curve_auc(top1);
}
double BackfillCurve::auc_top5() const {
  return curve_auc(top5);
}
double BackfillCurve::auc_mAP() const {
  return curve_auc(mAP);
}
double BackfillCurve::auc_negative_flips() const {
  return negative_flips.empty() ? 0.0 : curve_auc(negative_flips);
}

BackfillCurve evaluate_backfill_curve(distributed::Communicator& comm, const EmbeddingSet& query,
                                      const EmbeddingSet& before, const EmbeddingSet& after,
                                      const torch::Tensor& order,
                                      const BackfillCurveOptions& options,
                                      const RetrievalResult* reference) {
  return incremental_curve(&comm, query, before, after, order, options, reference);
}

BackfillCurve evaluate_backfill_curve(const EmbeddingSet& query, const EmbeddingSet& before,
                                      const EmbeddingSet& after, const torch::Tensor& order,
                                      const BackfillCurveOptions& options,
                                      const RetrievalResult* reference) {
  return incremental_curve(nullptr, query, before, after, order, options, reference);
}

BackfillCurve recompute_backfill_curve(const EmbeddingSet& query, const EmbeddingSet& before,
                                       const EmbeddingSet& after, const torch::Tensor& order,
                                       const BackfillCurveOptions& options,
                                       const RetrievalResult* reference) {
  check_options(options);
  check_same_items(before, after);
  const int64_t n_gallery = before.embeddings.size(0);
  check_permutation(order, n_gallery, "backfilling curve: the order");
  const auto counts = backfilled_counts(n_gallery, options.steps);
  BackfillCurve curve;
  curve.backfilled = counts;
  for (int64_t i = 0; i <= options.steps; ++i) {
    EmbeddingSet mixed = before;
    mixed.embeddings = before.embeddings.to(torch::kCPU, torch::kFloat32).clone();
    const auto rows = order.narrow(0, 0, counts[i]).to(torch::kCPU);
    mixed.embeddings.index_copy_(
        0, rows, after.embeddings.to(torch::kCPU, torch::kFloat32).index_select(0, rows));
    add_point(curve, i, options.steps, evaluate_retrieval(query, mixed, options.retrieval),
              reference);
  }
  return curve;
}

}  // namespace fct::eval
