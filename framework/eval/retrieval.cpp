#include "framework/eval/retrieval.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "framework/core/error.h"

namespace fct::eval {
namespace {

// One block's distances take about this much memory when the block size is automatic.
constexpr int64_t kAutoBlockBytes = int64_t{256} << 20;

// A validated side of the retrieval: contiguous CPU tensors plus the per-row norm term of the
// distance formula (l2: |x|^2, cosine: 1/|x|), computed in float64 and rounded once.
struct PreparedSet {
  torch::Tensor embeddings;  // float32 [N, d], contiguous
  torch::Tensor labels;      // int64 [N], contiguous
  torch::Tensor ids;         // int64 [N], contiguous
  std::vector<float> norm_term;
  int64_t size = 0;
};

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

struct QueryOutcome {
  bool evaluated = false;
  int64_t first_positive_rank = 0;
  double average_precision = 0.0;
};

// Scratch reused across the queries of one thread.
struct Scratch {
  std::vector<float> positives;
  std::vector<int64_t> counts;
  BucketLocator locator;
};

// One query against its row of distances. The positives' distances are sorted; every gallery item
// is counted into the bucket of the first positive distance at or above its own, so that the
// prefix sums give, for each distinct positive distance t, the number of items with distance <= t
// (ties counted in, as one threshold step: scikit-learn's average_precision_score).
QueryOutcome evaluate_query(const float* row, int64_t n_gallery, int64_t label, int64_t id,
                            const PreparedSet& gallery, const GalleryIndex& index,
                            Scratch& scratch) {
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
    rows =
        kAutoBlockBytes / (static_cast<int64_t>(sizeof(float)) * std::max<int64_t>(1, n_gallery));
  return std::clamp<int64_t>(rows, 1, std::max<int64_t>(1, n_queries));
}

// Per-query outcomes of queries [begin, end), packed as [4, end - begin] float64 rows:
// evaluated (0/1), first-positive rank, average precision, top-1 correct (0/1).
torch::Tensor evaluate_queries(const PreparedSet& query, const PreparedSet& gallery,
                               const RetrievalOptions& options, int64_t begin, int64_t end,
                               torch::Tensor packed) {
  const int64_t n_gallery = gallery.size;
  const int64_t count = end - begin;
  if (count <= 0 || n_gallery == 0) return packed;
  const GalleryIndex index(gallery);
  const int64_t rows = block_rows(options, n_gallery, count);
  const torch::Tensor gallery_t = gallery.embeddings.t();
  torch::Tensor buffer = torch::empty({rows, n_gallery}, torch::kFloat32);
  const int64_t* query_labels = query.labels.data_ptr<int64_t>();
  const int64_t* query_ids = query.ids.data_ptr<int64_t>();
  double* out = packed.data_ptr<double>();
  const int64_t stride = packed.size(1);

  for (int64_t block_begin = begin; block_begin < end; block_begin += rows) {
    const int64_t b = std::min(rows, end - block_begin);
    torch::Tensor dots = buffer.narrow(0, 0, b);
    torch::mm_out(dots, query.embeddings.narrow(0, block_begin, b), gallery_t);
    float* block = dots.data_ptr<float>();
    at::parallel_for(0, b, 1, [&](int64_t row_begin, int64_t row_end) {
      Scratch scratch;
      for (int64_t r = row_begin; r < row_end; ++r) {
        const int64_t q = block_begin + r;
        float* row = block + r * n_gallery;
        dots_to_distances(row, n_gallery, query.norm_term[q], gallery.norm_term.data(),
                          options.distance);
        const QueryOutcome outcome =
            evaluate_query(row, n_gallery, query_labels[q], query_ids[q], gallery, index, scratch);
        const int64_t k = q - begin;
        out[0 * stride + k] = outcome.evaluated ? 1.0 : 0.0;
        out[1 * stride + k] = static_cast<double>(outcome.first_positive_rank);
        out[2 * stride + k] = outcome.average_precision;
        out[3 * stride + k] = outcome.evaluated && outcome.first_positive_rank == 1 ? 1.0 : 0.0;
      }
    });
  }
  return packed;
}

void check_compatible(const PreparedSet& query, const PreparedSet& gallery) {
  if (query.embeddings.size(1) != gallery.embeddings.size(1))
    throw DataError("query embeddings have dimension " + std::to_string(query.embeddings.size(1)) +
                    " but gallery embeddings have " + std::to_string(gallery.embeddings.size(1)));
}

// Figures from the per-query outcomes of all queries ([4, N_query] float64, as packed above),
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

}  // namespace

Distance parse_distance(const std::string& name) {
  if (name == "l2") return Distance::kL2;
  if (name == "cosine") return Distance::kCosine;
  throw ConfigError("unknown retrieval distance '" + name + "' (known: l2, cosine)");
}

std::string distance_name(Distance distance) {
  return distance == Distance::kL2 ? "l2" : "cosine";
}

RetrievalResult evaluate_retrieval(dist::Communicator& comm, const EmbeddingSet& query,
                                   const EmbeddingSet& gallery, const RetrievalOptions& options) {
  const PreparedSet q = prepare(query, options.distance, "query");
  const PreparedSet g = prepare(gallery, options.distance, "gallery");
  check_compatible(q, g);
  block_rows(options, g.size, 1);  // the same option check on every rank, before any collective
  const int64_t n = q.size;
  const int rank = comm.rank(), size = comm.size();
  const int64_t begin = n * rank / size, end = n * (rank + 1) / size;
  // This rank's slice of the per-query outcomes, zero elsewhere: the sum over ranks is exact.
  torch::Tensor packed = torch::zeros({4, n}, torch::kFloat64);
  torch::Tensor slice = torch::zeros({4, end - begin}, torch::kFloat64);
  evaluate_queries(q, g, options, begin, end, slice);
  packed.narrow(1, begin, end - begin).copy_(slice);
  if (size > 1) comm.all_reduce(packed, dist::ReduceOp::kSum);
  return summarise(packed);
}

RetrievalResult evaluate_retrieval(const EmbeddingSet& query, const EmbeddingSet& gallery,
                                   const RetrievalOptions& options) {
  const PreparedSet q = prepare(query, options.distance, "query");
  const PreparedSet g = prepare(gallery, options.distance, "gallery");
  check_compatible(q, g);
  torch::Tensor packed = torch::zeros({4, q.size}, torch::kFloat64);
  evaluate_queries(q, g, options, 0, q.size, packed);
  return summarise(packed);
}

double negative_flip_rate(const RetrievalResult& reference, const RetrievalResult& updated) {
  for (const auto* result : {&reference, &updated})
    if (!result->top1_correct.defined() || !result->evaluated.defined())
      throw Error("negative_flip_rate needs results of evaluate_retrieval");
  if (reference.top1_correct.numel() != updated.top1_correct.numel())
    throw Error("negative_flip_rate: the reference covers " +
                std::to_string(reference.top1_correct.numel()) + " queries but the update " +
                std::to_string(updated.top1_correct.numel()));
  if (!torch::equal(reference.evaluated, updated.evaluated))
    throw Error(
        "negative_flip_rate: the reference and the update evaluated different queries (different "
        "query or gallery labels)");
  const int64_t evaluated = reference.evaluated.sum().item<int64_t>();
  if (evaluated == 0) return 0.0;
  const int64_t flips =
      (reference.top1_correct & reference.evaluated & ~updated.top1_correct).sum().item<int64_t>();
  return 100.0 * static_cast<double>(flips) / static_cast<double>(evaluated);
}

torch::Tensor pairwise_distances(const torch::Tensor& query_embeddings,
                                 const torch::Tensor& gallery_embeddings, Distance distance) {
  for (const auto* embeddings : {&query_embeddings, &gallery_embeddings})
    if (!embeddings->defined() || embeddings->dim() != 2)
      throw DataError("embeddings must be 2-D [N, d] tensors");
  EmbeddingSet query{query_embeddings, torch::zeros({query_embeddings.size(0)}, torch::kInt64),
                     torch::zeros({query_embeddings.size(0)}, torch::kInt64)};
  EmbeddingSet gallery{gallery_embeddings,
                       torch::zeros({gallery_embeddings.size(0)}, torch::kInt64),
                       torch::zeros({gallery_embeddings.size(0)}, torch::kInt64)};
  const PreparedSet q = prepare(query, distance, "query");
  const PreparedSet g = prepare(gallery, distance, "gallery");
  check_compatible(q, g);
  torch::Tensor result = torch::mm(q.embeddings, g.embeddings.t()).contiguous();
  float* data = result.data_ptr<float>();
  for (int64_t i = 0; i < q.size; ++i)
    dots_to_distances(data + i * g.size, g.size, q.norm_term[i], g.norm_term.data(), distance);
  return result;
}

}  // namespace fct::eval
