#include "framework/eval/retrieval.h"

#include <ATen/Parallel.h>

#include "framework/core/error.h"
#include "framework/eval/query_ranking.h"

namespace fct::eval {
namespace {

using detail::GalleryIndex;
using detail::PreparedSet;
using detail::QueryEvaluator;

// Per-query outcomes of queries [begin, end), packed as [4, end - begin] float64 rows:
// evaluated (0/1), first-positive rank, average precision, top-1 correct (0/1).
torch::Tensor evaluate_queries(const PreparedSet& query, const PreparedSet& gallery,
                               const RetrievalOptions& options, int64_t begin, int64_t end,
                               torch::Tensor packed) {
  const int64_t n_gallery = gallery.size;
  const int64_t count = end - begin;
  if (count <= 0 || n_gallery == 0) return packed;
  const GalleryIndex index(gallery);
  const int64_t rows = detail::block_rows(options, n_gallery, count);
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
      QueryEvaluator evaluator(gallery, index);
      for (int64_t r = row_begin; r < row_end; ++r) {
        const int64_t q = block_begin + r;
        float* row = block + r * n_gallery;
        detail::dots_to_distances(row, n_gallery, query.norm_term[q], gallery.norm_term.data(),
                                  options.distance);
        detail::store_outcome(out, stride, q - begin,
                              evaluator.evaluate(row, query_labels[q], query_ids[q]));
      }
    });
  }
  return packed;
}

}  // namespace

RetrievalResult evaluate_retrieval(distributed::Communicator& comm, const EmbeddingSet& query,
                                   const EmbeddingSet& gallery, const RetrievalOptions& options) {
  const PreparedSet q = detail::prepare(query, options.distance, "query");
  const PreparedSet g = detail::prepare(gallery, options.distance, "gallery");
  detail::check_compatible(q, g);
  detail::block_rows(options, g.size,
                     1);  // the same option check on every rank, before any collective
  const int64_t n = q.size;
  const int rank = comm.rank(), size = comm.size();
  const int64_t begin = n * rank / size, end = n * (rank + 1) / size;
  // This rank's slice of the per-query outcomes, zero elsewhere: the sum over ranks is exact.
  torch::Tensor packed = torch::zeros({4, n}, torch::kFloat64);
  torch::Tensor slice = torch::zeros({4, end - begin}, torch::kFloat64);
  evaluate_queries(q, g, options, begin, end, slice);
  packed.narrow(1, begin, end - begin).copy_(slice);
  if (size > 1) comm.all_reduce(packed, distributed::ReduceOp::kSum);
  return detail::summarise(packed);
}

RetrievalResult evaluate_retrieval(const EmbeddingSet& query, const EmbeddingSet& gallery,
                                   const RetrievalOptions& options) {
  const PreparedSet q = detail::prepare(query, options.distance, "query");
  const PreparedSet g = detail::prepare(gallery, options.distance, "gallery");
  detail::check_compatible(q, g);
  torch::Tensor packed = torch::zeros({4, q.size}, torch::kFloat64);
  evaluate_queries(q, g, options, 0, q.size, packed);
  return detail::summarise(packed);
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
  const PreparedSet q = detail::prepare(query, distance, "query");
  const PreparedSet g = detail::prepare(gallery, distance, "gallery");
  detail::check_compatible(q, g);
  torch::Tensor result = torch::mm(q.embeddings, g.embeddings.t()).contiguous();
  float* data = result.data_ptr<float>();
  for (int64_t i = 0; i < q.size; ++i)
    detail::dots_to_distances(data + i * g.size, g.size, q.norm_term[i], g.norm_term.data(),
                              distance);
  return result;
}

}  // namespace fct::eval
