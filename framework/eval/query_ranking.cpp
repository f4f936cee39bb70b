#include "framework/eval/query_ranking.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "framework/core/error.h"

namespace fct::eval::detail {
namespace {

// One block's distances take about this much memory when the block size is automatic, with at
// least kMinAutoBlockRows queries a block. The block is written by one GEMM and read right after,
// row by row: small enough to stay in the cache between the two and to be faulted into memory
// once, large enough for an efficient GEMM. 256 MiB blocks spent a fifth of a 10k x 10k
// evaluation in page faults (a new 256 MiB touched on every block) and needed 400 MB a rank;
// 16 MiB blocks cut its whole command by about 1.2 s (bench/eval_retrieval.sh).
constexpr int64_t kAutoBlockBytes = int64_t{16} << 20;
constexpr int64_t kMinAutoBlockRows = 32;

std::vector<float> norm_terms(const torch::Tensor& embeddings, Distance distance) {
  const int64_t n = embeddings.size(0), d = embeddings.size(1);
  const float* data = embeddings.data_ptr<float>();
  std::vector<float> terms(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    double sum = 0.0;
    for (int64_t k = 0; k < d; ++k) {
      const double x = data[i * d + k];
      sum += x * x;
    }
    if (distance == Distance::kL2)
      terms[i] = static_cast<float>(sum);
    else
      terms[i] = sum > 0.0 ? static_cast<float>(1.0 / std::sqrt(sum)) : 0.0f;
  }
  return terms;
}

// Cells of values[0, n) for the locator below, written to cells[0, n); returns how many values
// are strictly below `low`. Branch-free so that it vectorises; compiled for AVX2 too and picked at
// run time. Both versions make the same IEEE operations per value, so they give the same cells.
__attribute__((target_clones("avx2", "default"))) int64_t compute_cells(const float* values,
                                                                        int64_t n, float low,
                                                                        float scale, float top,
                                                                        int32_t* cells) {
  int32_t below = 0;
  for (int64_t j = 0; j < n; ++j) {
    const float d = values[j];
    float x = (d - low) * scale;
    x = x > 0.0f ? x : 0.0f;
    x = x < top ? x : top;
    cells[j] = static_cast<int32_t>(x);
    below += d < low ? 1 : 0;
  }
  return below;
}

// Maps a distance to the index of the first sorted positive distance not less than it (the
// lower_bound) without a binary search: [p_0, p_max] is cut into about 4 P equal cells, a table
// gives for each cell the number of positive distances in lower cells, and up to two comparisons
// with the positives inside the cell finish (a loop only for the rare cell that holds more). The
// cell of a value is a monotonic function of the value, computed by the same code for positives and
// gallery items, so the table never overshoots: exact for every value, ties included.
class BucketLocator {
 public:
  static constexpr int64_t kSentinels = 3;  // +inf entries after the p positives
  static constexpr int64_t kChunk = 1024;   // values per pass, so that the cells stay in L1
  static constexpr int64_t kCopies = 4;     // interleaved bucket arrays

  // `sorted` holds the p > 0 positive distances ascending, then kSentinels times +inf.
  void reset(const float* sorted, int64_t p) {
    sorted_ = sorted;
    p_ = p;
    low_ = sorted[0];
    const float high = sorted[p - 1];
    degenerate_ = !(high > low_);
    if (degenerate_) return;
    top_ = static_cast<float>(std::clamp<int64_t>(4 * p, 16, int64_t{1} << 14));
    const float scale = top_ / (high - low_);
    scale_ = std::isfinite(scale) ? scale : std::numeric_limits<float>::max();
    cells_.resize(static_cast<size_t>(std::max(p, kChunk)));
    compute_cells(sorted, p, low_, scale_, top_, cells_.data());
    table_.assign(static_cast<size_t>(top_) + 2, 0);
    for (int64_t i = 0; i < p; ++i) ++table_[cells_[i] + 1];
    for (size_t c = 1; c < table_.size(); ++c) table_[c] += table_[c - 1];
  }

  // The lower_bound of one value.
  int64_t locate(float d) {
    int32_t cell = 0;
    compute_cells(&d, 1, low_, scale_, top_, &cell);
    return degenerate_ ? (d <= low_ ? 0 : p_) : finish(table_[cell], d);
  }

  // Adds every distance of row[0, n) to `counts` (kCopies interleaved arrays of p + 1 buckets, so
  // that consecutive items landing in the same bucket do not wait on each other's stores) and
  // returns how many distances are strictly below the smallest positive distance.
  int64_t count(const float* row, int64_t n, int64_t* counts) {
    const int64_t stride = p_ + 1;
    int64_t below = 0;
    if (degenerate_) {
      for (int64_t j = 0; j < n; ++j) {
        const float d = row[j];
        ++counts[(j & (kCopies - 1)) * stride + (d <= low_ ? 0 : p_)];
        below += d < low_ ? 1 : 0;
      }
      return below;
    }
    int32_t* cells = cells_.data();
    const int32_t* table = table_.data();
    for (int64_t start = 0; start < n; start += kChunk) {
      const int64_t m = std::min(kChunk, n - start);
      const float* values = row + start;
      below += compute_cells(values, m, low_, scale_, top_, cells);
      for (int64_t j = 0; j < m; ++j)
        ++counts[(j & (kCopies - 1)) * stride + finish(table[cells[j]], values[j])];
    }
    return below;
  }

 private:
  // From the table's index k (no positive before it is >= d) to the exact lower_bound.
  int64_t finish(int64_t k, float d) const {
    const float* s = sorted_ + k;
    if (s[2] < d) {  // more than two positives of the cell are below d: walk
      k += 2;
      while (sorted_[k] < d) ++k;  // a +inf sentinel stops the walk at p
      return k;
    }
    return k + (s[0] < d ? 1 : 0) + (s[1] < d ? 1 : 0);
  }

  const float* sorted_ = nullptr;
  int64_t p_ = 0;
  float low_ = 0.0f, scale_ = 0.0f, top_ = 0.0f;
  bool degenerate_ = false;
  std::vector<int32_t> table_;
  std::vector<int32_t> cells_;
};

}  // namespace

// Scratch reused across the queries of one thread.
struct QueryEvaluator::Scratch {
  std::vector<float> positives;
  std::vector<int64_t> counts;
  BucketLocator locator;
};

PreparedSet prepare(const EmbeddingSet& set, Distance distance, const char* which) {
  const std::string side = which;
  if (!set.embeddings.defined() || set.embeddings.dim() != 2)
    throw DataError(side + " embeddings must be a 2-D [N, d] tensor");
  const int64_t n = set.embeddings.size(0);
  const auto check_column = [&](const torch::Tensor& tensor, const std::string& name) {
    if (!tensor.defined() || tensor.dim() != 1 || tensor.size(0) != n)
      throw DataError(side + " " + name + " must be a 1-D tensor of " + std::to_string(n) +
                      " entries (one per embedding)");
    if (torch::isFloatingType(tensor.scalar_type()) || torch::isComplexType(tensor.scalar_type()))
      throw DataError(side + " " + name + " must be integers");
  };
  check_column(set.labels, "labels");
  check_column(set.ids, "ids");
  PreparedSet prepared;
  prepared.size = n;
  prepared.embeddings = set.embeddings.to(torch::kCPU, torch::kFloat32).contiguous();
  if (n > 0 && !torch::isfinite(prepared.embeddings).all().item<bool>())
    throw DataError(side + " embeddings contain NaN or infinite values");
  prepared.labels = set.labels.to(torch::kCPU, torch::kInt64).contiguous();
  prepared.ids = set.ids.to(torch::kCPU, torch::kInt64).contiguous();
  prepared.norm_term = norm_terms(prepared.embeddings, distance);
  return prepared;
}

// The one place where a dot product becomes a distance: every pair of every block goes through
// this loop (never inlined into different contexts), so equal inputs give bit-equal distances.
__attribute__((noinline)) void dots_to_distances(float* row, int64_t n, float query_term,
                                                 const float* gallery_terms, Distance distance) {
  if (distance == Distance::kL2) {
    for (int64_t j = 0; j < n; ++j) {
      const float d = (query_term + gallery_terms[j]) - 2.0f * row[j];
      row[j] = d > 0.0f ? d : 0.0f;
    }
  } else {
    for (int64_t j = 0; j < n; ++j) row[j] = 1.0f - (row[j] * query_term) * gallery_terms[j];
  }
}

// One query against its row of distances. The positives' distances are sorted; every gallery item
// is counted into the bucket of the first positive distance at or above its own, so that the
// prefix sums give, for each distinct positive distance t, the number of items with distance <= t
// (ties counted in, as one threshold step: scikit-learn's average_precision_score).
QueryEvaluator::QueryEvaluator(const PreparedSet& gallery, const GalleryIndex& index)
    : gallery_(gallery), index_(index), scratch_(std::make_unique<Scratch>()) {}

QueryEvaluator::~QueryEvaluator() = default;

QueryOutcome QueryEvaluator::evaluate(const float* row, int64_t label, int64_t id) {
  const PreparedSet& gallery = gallery_;
  const GalleryIndex& index = index_;
  Scratch& scratch = *scratch_;
  const int64_t n_gallery = gallery.size;
  QueryOutcome outcome;
  const int64_t* gallery_ids = gallery.ids.data_ptr<int64_t>();
  auto& positives = scratch.positives;
  positives.clear();
  const auto [pos_begin, pos_end] = index.label_range(label);
  for (int64_t i = pos_begin; i < pos_end; ++i) {
    const int64_t j = index.by_label[i];
    if (gallery_ids[j] != id) positives.push_back(row[j]);
  }
  const int64_t p = static_cast<int64_t>(positives.size());
  if (p == 0) return outcome;
  std::sort(positives.begin(), positives.end());
  positives.insert(positives.end(), BucketLocator::kSentinels,
                   std::numeric_limits<float>::infinity());
  const float* sorted = positives.data();
  auto& locator = scratch.locator;
  locator.reset(sorted, p);
  const float closest = sorted[0];

  auto& counts = scratch.counts;
  counts.assign(static_cast<size_t>(BucketLocator::kCopies * (p + 1)), 0);
  int64_t* bucket = counts.data();
  // Items strictly closer than the closest positive: negatives only.
  int64_t strictly_closer = locator.count(row, n_gallery, bucket);
  for (int64_t c = 1; c < BucketLocator::kCopies; ++c)
    for (int64_t k = 0; k <= p; ++k) bucket[k] += bucket[c * (p + 1) + k];
  // The left-out items (same id as the query) count neither as positives nor as negatives.
  const auto [id_begin, id_end] = index.id_range(id);
  for (int64_t i = id_begin; i < id_end; ++i) {
    const float d = row[index.by_id[i].second];
    --bucket[locator.locate(d)];
    strictly_closer -= d < closest ? 1 : 0;
  }

  // AP = sum over distinct positive distances t of (positives at t / P) x precision(<= t).
  double sum = 0.0;
  int64_t at_or_below = 0;
  for (int64_t a = 0; a < p;) {
    int64_t b = a + 1;
    while (b < p && sorted[b] == sorted[a]) ++b;
    at_or_below += bucket[a];  // buckets a+1 .. b-1 of a tie group stay empty
    sum += static_cast<double>(b - a) * static_cast<double>(b) / static_cast<double>(at_or_below);
    a = b;
  }
  outcome.evaluated = true;
  outcome.average_precision = sum / static_cast<double>(p);
  outcome.first_positive_rank = 1 + strictly_closer;
  return outcome;
}

int64_t block_rows(const RetrievalOptions& options, int64_t n_gallery, int64_t n_queries) {
  if (options.block_size < 0)
    throw ConfigError("retrieval block_size must be >= 0 (0 = automatic), got " +
                      std::to_string(options.block_size));
  int64_t rows = options.block_size;
  if (rows == 0)
    rows = std::max(kMinAutoBlockRows, kAutoBlockBytes / (static_cast<int64_t>(sizeof(float)) *
                                                          std::max<int64_t>(1, n_gallery)));
  return std::clamp<int64_t>(rows, 1, std::max<int64_t>(1, n_queries));
}

void check_compatible(const PreparedSet& query, const PreparedSet& gallery) {
  if (query.embeddings.size(1) != gallery.embeddings.size(1))
    throw DataError("query embeddings have dimension " + std::to_string(query.embeddings.size(1)) +
                    " but gallery embeddings have " + std::to_string(gallery.embeddings.size(1)));
}

// Figures from the per-query outcomes of all queries ([4, N_query] float64, store_outcome),
// summed in query order so that every rank layout gives the same bits.
RetrievalResult summarise(const torch::Tensor& packed) {
  RetrievalResult result;
  const torch::Tensor evaluated = packed[0] != 0;
  result.evaluated = evaluated;
  result.first_positive_rank = packed[1].to(torch::kInt64);
  result.average_precision = packed[2].clone();
  result.top1_correct = packed[3] != 0;
  const int64_t n = packed.size(1);
  const double* e = packed[0].data_ptr<double>();
  const double* rank = packed[1].data_ptr<double>();
  const double* ap = packed[2].data_ptr<double>();
  int64_t queries = 0, top1 = 0, top5 = 0;
  double ap_sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    if (e[i] == 0.0) continue;
    ++queries;
    top1 += rank[i] <= 1.0 ? 1 : 0;
    top5 += rank[i] <= 5.0 ? 1 : 0;
    ap_sum += ap[i];
  }
  result.queries = queries;
  if (queries > 0) {
    const double scale = 100.0 / static_cast<double>(queries);
    result.top1 = scale * static_cast<double>(top1);
    result.top5 = scale * static_cast<double>(top5);
    result.mAP = scale * ap_sum;
  }
  return result;
}

}  // namespace fct::eval::detail
