// Retrieval evaluation of the FCT protocol (../shared/fct-protocol.md §4): CMC top-1/top-5 and mAP
// over the whole ranking, leave-one-out by sample id, queries without a positive skipped, and the
// negative-flip rate between two evaluations of the same queries.
//
// Queries are processed in blocks: one [block x N_gallery] matrix product per block, then, per
// query, only its positives' distances are sorted and every gallery item is counted into the gap
// between two consecutive positive distances (a lookup table over ~4P equal cells between the
// closest and the farthest positive, then at most a few comparisons: exact, ties included). The
// N x N distance matrix is never materialised and no row is ever sorted, so memory is O(block x N)
// and time is the matrix product plus O(N + P log P) per query (P = positives of the query).
//
// Distances, in float32, from the dot product q.g of the raw embeddings (one matrix product) and
// per-row norms computed once in float64 and rounded to float32:
//   l2:     max(0, (|q|^2 + |g|^2) - 2 q.g)          (squared Euclidean: the same ranking)
//   cosine: 1 - (q.g * (1/|q|)) * (1/|g|)            (true cosine; a zero vector has 1/|x| = 0)
// Every pair goes through the same formula, so two identical gallery embeddings get bit-identical
// distances, and exact ties (duplicates, small-integer embeddings) are decided the same way in
// every block and rank layout. Only the matrix product itself (BLAS) may round a dot product
// differently for another block shape or BLAS thread count, which can reorder pairs whose distances
// differ by an ulp (seen: mAP moving in the 8th significant digit between 1 and 2 OpenBLAS
// threads).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "framework/config/choices.h"
#include "framework/distributed/communicator.h"

namespace fct::eval {

// One side of a retrieval, as CPU tensors (other dtypes are converted).
struct EmbeddingSet {
  torch::Tensor embeddings;  // float32 [N, d]
  torch::Tensor labels;      // int64 [N]
  torch::Tensor ids;         // int64 [N], sample ids (leave-one-out is by id)
};

// l2 or cosine (eval.distance).
using config::Distance;

struct RetrievalOptions {
  Distance distance = Distance::kL2;
  // Queries per block; 0 = chosen so that one block's distances take about 16 MiB (at least 32
  // queries).
  int64_t block_size = 0;
};

struct RetrievalResult {
  double top1 = 0, top5 = 0, mAP = 0;  // percentages over the evaluated queries
  int64_t queries = 0;         // queries with at least one positive (the others are skipped)
  torch::Tensor top1_correct;  // bool [N_query]: top-1 correct (false for skipped queries)
  torch::Tensor evaluated;     // bool [N_query]: the query had a positive
  // Beyond the protocol's figures, per query (0 for skipped queries):
  torch::Tensor average_precision;    // float64 [N_query], in [0, 1]
  torch::Tensor first_positive_rank;  // int64 [N_query]: 1 + negatives strictly closer than the
                                      // closest positive
};

// Collective over `comm` (CPU tensors, e.g. the MPI communicator): every rank passes the full query
// and gallery sets; each rank evaluates its contiguous slice of the queries, the per-query results
// are combined over ranks, and every rank returns the same result: the figures are summed in
// query order from per-query outcomes, so they equal a single-process evaluation bit for bit given
// the same distances (see the note on BLAS above). Query ids may repeat; a query skips every
// gallery item with its id. Memory: one block of queries x N_gallery float32 distances.
// Throws DataError for mismatched shapes or non-finite embeddings.
RetrievalResult evaluate_retrieval(distributed::Communicator& comm, const EmbeddingSet& query,
                                   const EmbeddingSet& gallery,
                                   const RetrievalOptions& options = {});

// The same in this process alone (no communicator).
RetrievalResult evaluate_retrieval(const EmbeddingSet& query, const EmbeddingSet& gallery,
                                   const RetrievalOptions& options = {});

// Percentage of the evaluated queries whose top-1 was correct in `reference` (old/old) and is wrong
// in `updated`. Throws Error if the two results cover different queries (sizes or evaluated masks
// differ). 0 when no query was evaluated.
double negative_flip_rate(const RetrievalResult& reference, const RetrievalResult& updated);

// The full [N_query, N_gallery] float32 matrix of the distances above, exactly as the blocked
// evaluation computes them. Materialises the matrix: for tests and small sets only.
torch::Tensor pairwise_distances(const torch::Tensor& query_embeddings,
                                 const torch::Tensor& gallery_embeddings, Distance distance);

}  // namespace fct::eval
