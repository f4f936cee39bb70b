// Internal to fct_eval: the per-query machinery of the retrieval evaluation (retrieval.h), shared
// by evaluate_retrieval and the backfilling curves (backfill_curve.h), which rank the same queries
// against galleries that differ in a few rows. See the notes in retrieval.h for the distance
// formulas and the exactness argument.
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "framework/eval/retrieval.h"

namespace fct::eval::detail {

// A validated side of the retrieval: contiguous CPU tensors plus the per-row norm term of the
// distance formula (l2: |x|^2, cosine: 1/|x|), computed in float64 and rounded once.
struct PreparedSet {
  torch::Tensor embeddings;  // float32 [N, d], contiguous
  torch::Tensor labels;      // int64 [N], contiguous
  torch::Tensor ids;         // int64 [N], contiguous
  std::vector<float> norm_term;
  int64_t size = 0;
};

PreparedSet prepare(const EmbeddingSet& set, Distance distance, const char* which);

// The one place where a dot product becomes a distance (see the definition).
void dots_to_distances(float* row, int64_t n, float query_term, const float* gallery_terms,
                       Distance distance);

// Gallery lookups shared by all queries: items grouped by label, and (id, index) sorted by id.
struct GalleryIndex {
  std::vector<int64_t> label_values;   // distinct labels, ascending
  std::vector<int64_t> label_offsets;  // label_values.size() + 1 offsets into by_label
  std::vector<int64_t> by_label;       // gallery indices grouped by label
  std::vector<std::pair<int64_t, int64_t>> by_id;

  explicit GalleryIndex(const PreparedSet& gallery) {
    const int64_t n = gallery.size;
    const int64_t* labels = gallery.labels.data_ptr<int64_t>();
    const int64_t* ids = gallery.ids.data_ptr<int64_t>();
    by_label.resize(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) by_label[j] = j;
    std::stable_sort(by_label.begin(), by_label.end(),
                     [labels](int64_t a, int64_t b) { return labels[a] < labels[b]; });
    for (int64_t i = 0; i < n; ++i) {
      const int64_t label = labels[by_label[i]];
      if (label_values.empty() || label_values.back() != label) {
        label_values.push_back(label);
        label_offsets.push_back(i);
      }
    }
    label_offsets.push_back(n);
    by_id.reserve(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) by_id.emplace_back(ids[j], j);
    std::sort(by_id.begin(), by_id.end());
  }

  // [begin, end) into by_label of the items labelled `label` (empty when there are none).
  std::pair<int64_t, int64_t> label_range(int64_t label) const {
    const auto it = std::lower_bound(label_values.begin(), label_values.end(), label);
    if (it == label_values.end() || *it != label) return {0, 0};
    const auto k = it - label_values.begin();
    return {label_offsets[k], label_offsets[k + 1]};
  }

  // [begin, end) into by_id of the items with id `id`.
  std::pair<int64_t, int64_t> id_range(int64_t id) const {
    constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
    const auto lo = std::lower_bound(by_id.begin(), by_id.end(), std::make_pair(id, kMin));
    auto hi = lo;
    while (hi != by_id.end() && hi->first == id) ++hi;
    return {lo - by_id.begin(), hi - by_id.begin()};
  }
};

struct QueryOutcome {
  bool evaluated = false;
  int64_t first_positive_rank = 0;
  double average_precision = 0.0;
};

// Evaluates queries one row of distances at a time against one gallery; reuses its scratch across
// calls, so keep one per thread.
class QueryEvaluator {
 public:
  QueryEvaluator(const PreparedSet& gallery, const GalleryIndex& index);
  ~QueryEvaluator();
  QueryEvaluator(const QueryEvaluator&) = delete;
  QueryEvaluator& operator=(const QueryEvaluator&) = delete;

  // The query (label, id) against `row`, its distances to every gallery item.
  QueryOutcome evaluate(const float* row, int64_t label, int64_t id);

 private:
  struct Scratch;
  const PreparedSet& gallery_;
  const GalleryIndex& index_;
  std::unique_ptr<Scratch> scratch_;
};

// Queries per block: options.block_size, or about 16 MiB of distances (at least 32 queries) when
// it is 0; ConfigError for a negative size.
int64_t block_rows(const RetrievalOptions& options, int64_t n_gallery, int64_t n_queries);

void check_compatible(const PreparedSet& query, const PreparedSet& gallery);

// Per-query outcomes are packed as 4 float64 rows of a [4, n] tensor: evaluated (0/1),
// first-positive rank, average precision, top-1 correct (0/1).
inline constexpr int64_t kOutcomeFields = 4;
inline void store_outcome(double* packed, int64_t stride, int64_t k, const QueryOutcome& outcome) {
  packed[0 * stride + k] = outcome.evaluated ? 1.0 : 0.0;
  packed[1 * stride + k] = static_cast<double>(outcome.first_positive_rank);
  packed[2 * stride + k] = outcome.average_precision;
  packed[3 * stride + k] = outcome.evaluated && outcome.first_positive_rank == 1 ? 1.0 : 0.0;
}

RetrievalResult summarise(const torch::Tensor& packed);

}  // namespace fct::eval::detail
