// Retrieval evaluation: hand-computed cases (ties between a positive and a negative, a left-out
// self, skipped queries), a direct full-sort reference with scikit-learn's tie convention on
// tie-heavy random data for both distances and many block sizes, negative flips, and input errors.
#include "framework/eval/retrieval.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "framework/core/error.h"

namespace fct::eval {
namespace {

EmbeddingSet make_set(std::vector<std::vector<float>> rows, std::vector<int64_t> labels,
                      std::vector<int64_t> ids) {
  const int64_t n = static_cast<int64_t>(rows.size());
  const int64_t d = n > 0 ? static_cast<int64_t>(rows[0].size()) : 1;
  torch::Tensor embeddings = torch::zeros({n, d}, torch::kFloat32);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < d; ++k) embeddings[i][k] = rows[i][k];
  return {embeddings, torch::tensor(labels, torch::kInt64), torch::tensor(ids, torch::kInt64)};
}

RetrievalOptions with(Distance distance, int64_t block_size = 0) {
  RetrievalOptions options;
  options.distance = distance;
  options.block_size = block_size;
  return options;
}

std::vector<int64_t> as_vector(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kInt64).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

// ---- hand-computed cases ---------------------------------------------------------------------

// 1-D embeddings, squared Euclidean distances.
//   gallery  id:     0   1   2   3   4   5
//            label:  A   B   A   B   A   B      (A = 0, B = 1)
//            x:      0   1  -1   2   3  -2
// q0 (id 0, A, x=0): self g0 left out; d = g1 1(neg) g2 1(pos) g3 4 g5 4 g4 9(pos).
//   rank 1 (the tied negative is not strictly closer); AP = (1/2 + 2/5) / 2 = 0.45.
// q1 (id 99, B, x=1.5): d = g0 2.25 g1 .25(pos) g2 6.25 g3 .25(pos) g4 2.25 g5 12.25(pos).
//   rank 1; AP = (2 x 2/2 + 3/6) / 3 = 5/6.
// q2 (id 5, B, x=-3): self g5 left out; d = g0 9 g1 16(pos) g2 4 g3 25(pos) g4 36.
//   rank 3 (g2, g0 closer); AP = (1/3 + 2/4) / 2 = 5/12.
// q3 (id 7, label 2): no positive -> skipped.
TEST(Retrieval, HandComputedL2WithTieAndLeftOutSelf) {
  const auto gallery =
      make_set({{0}, {1}, {-1}, {2}, {3}, {-2}}, {0, 1, 0, 1, 0, 1}, {0, 1, 2, 3, 4, 5});
  const auto query = make_set({{0}, {1.5}, {-3}, {0}}, {0, 1, 1, 2}, {0, 99, 5, 7});
  for (int64_t block : {0, 1, 2, 3, 4}) {
    const auto r = evaluate_retrieval(query, gallery, with(Distance::kL2, block));
    EXPECT_EQ(r.queries, 3);
    EXPECT_NEAR(r.top1, 200.0 / 3.0, 1e-12);
    EXPECT_NEAR(r.top5, 100.0, 1e-12);
    EXPECT_NEAR(r.mAP, 100.0 * (0.45 + 5.0 / 6.0 + 5.0 / 12.0) / 3.0, 1e-12);
    EXPECT_EQ(as_vector(r.first_positive_rank), (std::vector<int64_t>{1, 1, 3, 0}));
    EXPECT_EQ(as_vector(r.evaluated), (std::vector<int64_t>{1, 1, 1, 0}));
    EXPECT_EQ(as_vector(r.top1_correct), (std::vector<int64_t>{1, 1, 0, 0}));
    const auto ap = r.average_precision;
    EXPECT_NEAR(ap[0].item<double>(), 0.45, 1e-15);
    EXPECT_NEAR(ap[1].item<double>(), 5.0 / 6.0, 1e-15);
    EXPECT_NEAR(ap[2].item<double>(), 5.0 / 12.0, 1e-15);
    EXPECT_EQ(ap[3].item<double>(), 0.0);
  }
}

// A first positive at rank 6: top-5 misses, and the negatives tied with the positive do not count.
//   q (id 100, A, x=0); gallery: five negatives at x=1..5 -> d 1,4,9,16,25 plus a positive at
//   x=5 (d 25, tied with the last negative) and a positive at x=-1 (d 1).
TEST(Retrieval, HandComputedTopFiveBoundary) {
  // Positive at d=25 only: 4 negatives strictly closer (1,4,9,16) -> rank 5 -> top-5 hit.
  auto gallery = make_set({{1}, {2}, {3}, {4}, {5}, {5}}, {1, 1, 1, 1, 1, 0}, {1, 2, 3, 4, 5, 6});
  auto query = make_set({{0}}, {0}, {100});
  auto r = evaluate_retrieval(query, gallery);
  EXPECT_EQ(as_vector(r.first_positive_rank), (std::vector<int64_t>{5}));
  EXPECT_DOUBLE_EQ(r.top1, 0.0);
  EXPECT_DOUBLE_EQ(r.top5, 100.0);
  EXPECT_NEAR(r.mAP, 100.0 * 1.0 / 6.0, 1e-12);  // one threshold: 1 positive among 6 items
  // One more negative strictly closer (x=4.5 -> d 20.25): rank 6 -> top-5 miss.
  gallery =
      make_set({{1}, {2}, {3}, {4}, {5}, {5}, {4.5}}, {1, 1, 1, 1, 1, 0, 1}, {1, 2, 3, 4, 5, 6, 7});
  r = evaluate_retrieval(query, gallery);
  EXPECT_EQ(as_vector(r.first_positive_rank), (std::vector<int64_t>{6}));
  EXPECT_DOUBLE_EQ(r.top5, 0.0);
  EXPECT_NEAR(r.mAP, 100.0 * 1.0 / 7.0, 1e-12);
}

// A negative just beyond two close positives: q (x=0, A); positives at x = 1, 7, 7.03, 10
// (d = 1, 49, 49.42, 100), negatives at x = 7.05 (d 49.70) and 20 (d 400).
//   AP = (1/1 + 2/2 + 3/3 + 4/5) / 4 = 0.95; rank 1.
TEST(Retrieval, HandComputedNegativeBetweenClosePositives) {
  const auto gallery =
      make_set({{1}, {7}, {7.03f}, {10}, {7.05f}, {20}}, {0, 0, 0, 0, 1, 1}, {1, 2, 3, 4, 5, 6});
  const auto r = evaluate_retrieval(make_set({{0}}, {0}, {0}), gallery);
  EXPECT_EQ(as_vector(r.first_positive_rank), (std::vector<int64_t>{1}));
  EXPECT_NEAR(r.average_precision[0].item<double>(), 0.95, 1e-15);
}

// Cosine: q = (1, 0), id 9, label A.
//   g (2,0) A -> 0;  g (0,1) B -> 1;  g (-1,0) A -> 2;  g (1,1) B -> 1 - 1/sqrt(2);
//   g (3,0) B with the query's id -> left out (it would tie with the closest positive at 0);
//   g (0,0) B (zero vector) -> 1.
//   Positives at 0 and 2: rank 1; AP = (1/1 + 2/5) / 2 = 0.7.
TEST(Retrieval, HandComputedCosineWithLeftOutTie) {
  const auto gallery = make_set({{2, 0}, {0, 1}, {-1, 0}, {1, 1}, {3, 0}, {0, 0}},
                                {0, 1, 0, 1, 1, 1}, {1, 2, 3, 4, 9, 5});
  const auto query = make_set({{1, 0}}, {0}, {9});
  const auto r = evaluate_retrieval(query, gallery, with(Distance::kCosine));
  EXPECT_EQ(r.queries, 1);
  EXPECT_DOUBLE_EQ(r.top1, 100.0);
  EXPECT_NEAR(r.mAP, 70.0, 1e-12);
  // The negative (1,-1)-style tie: q = (0, 1) against (1, 1) A and (-1, 1) B, both at
  // 1 - 1/sqrt(2): the tied negative is not strictly closer (rank 1) and AP = 1/2.
  const auto tie_gallery = make_set({{1, 1}, {-1, 1}}, {0, 1}, {1, 2});
  const auto tie_query = make_set({{0, 1}}, {0}, {3});
  const auto t = evaluate_retrieval(tie_query, tie_gallery, with(Distance::kCosine));
  EXPECT_EQ(as_vector(t.first_positive_rank), (std::vector<int64_t>{1}));
  EXPECT_NEAR(t.mAP, 50.0, 1e-12);
  const auto distances =
      pairwise_distances(tie_query.embeddings, tie_gallery.embeddings, Distance::kCosine);
  EXPECT_EQ(distances[0][0].item<float>(), distances[0][1].item<float>());
  EXPECT_NEAR(distances[0][0].item<float>(), 1.0 - 1.0 / std::sqrt(2.0), 1e-7);
}

TEST(Retrieval, QueriesWithoutPositivesAreSkipped) {
  // q0's only positive is itself (left out); q1's label is absent from the gallery; q2 is normal.
  const auto gallery = make_set({{0}, {1}, {2}}, {0, 1, 1}, {10, 11, 12});
  const auto query = make_set({{0}, {0}, {1}}, {0, 5, 1}, {10, 20, 11});
  const auto r = evaluate_retrieval(query, gallery);
  EXPECT_EQ(r.queries, 1);
  EXPECT_EQ(as_vector(r.evaluated), (std::vector<int64_t>{0, 0, 1}));
  EXPECT_EQ(as_vector(r.top1_correct), (std::vector<int64_t>{0, 0, 1}));
  EXPECT_DOUBLE_EQ(r.top1, 100.0);
  // q2 leaves g1 out; its positive g2 (d 1) ties with the negative g0 (d 1): rank 1, AP 1/2.
  EXPECT_DOUBLE_EQ(r.mAP, 50.0);
}

TEST(Retrieval, NoEvaluableQueryGivesZeroes) {
  const auto gallery = make_set({{0}, {1}}, {0, 1}, {0, 1});
  const auto query = make_set({{0}, {1}}, {0, 1}, {0, 1});  // each query's only positive is itself
  const auto r = evaluate_retrieval(query, gallery);
  EXPECT_EQ(r.queries, 0);
  EXPECT_EQ(r.top1, 0.0);
  EXPECT_EQ(r.mAP, 0.0);
  EXPECT_FALSE(r.evaluated.any().item<bool>());
  EXPECT_EQ(r.top1_correct.numel(), 2);
  const auto empty = make_set({}, {}, {});
  const auto e = evaluate_retrieval(query, empty);
  EXPECT_EQ(e.queries, 0);
  EXPECT_EQ(e.evaluated.numel(), 2);
}

// ---- the full-sort reference ------------------------------------------------------------------

struct ReferenceQuery {
  bool evaluated = false;
  int64_t rank = 0;
  double ap = 0.0;
};

// The distance of one pair by the documented formula, computed directly from the raw values.
float reference_distance(const float* q, const float* g, int64_t d, Distance distance) {
  double dot = 0.0, qq = 0.0, gg = 0.0;
  for (int64_t k = 0; k < d; ++k) {
    dot += static_cast<double>(q[k]) * g[k];
    qq += static_cast<double>(q[k]) * q[k];
    gg += static_cast<double>(g[k]) * g[k];
  }
  const float dotf = static_cast<float>(dot);  // exact for the small integers used below
  if (distance == Distance::kL2) {
    const float v = (static_cast<float>(qq) + static_cast<float>(gg)) - 2.0f * dotf;
    return std::max(v, 0.0f);
  }
  const float qi = qq > 0 ? static_cast<float>(1.0 / std::sqrt(qq)) : 0.0f;
  const float gi = gg > 0 ? static_cast<float>(1.0 / std::sqrt(gg)) : 0.0f;
  return 1.0f - (dotf * qi) * gi;
}

// Full distance matrix, a full sort of every row, CMC by walking the ranking and AP as
// scikit-learn's average_precision_score computes it (thresholds at distinct scores).
std::vector<ReferenceQuery> reference(const EmbeddingSet& query, const EmbeddingSet& gallery,
                                      Distance distance) {
  const auto qe = query.embeddings.contiguous(), ge = gallery.embeddings.contiguous();
  const int64_t nq = qe.size(0), ng = ge.size(0), d = qe.size(1);
  const auto ql = as_vector(query.labels), gl = as_vector(gallery.labels);
  const auto qid = as_vector(query.ids), gid = as_vector(gallery.ids);
  std::vector<float> matrix(static_cast<size_t>(nq * ng));
  for (int64_t i = 0; i < nq; ++i)
    for (int64_t j = 0; j < ng; ++j)
      matrix[i * ng + j] =
          reference_distance(qe[i].data_ptr<float>(), ge[j].data_ptr<float>(), d, distance);
  std::vector<ReferenceQuery> out(static_cast<size_t>(nq));
  for (int64_t i = 0; i < nq; ++i) {
    std::vector<std::pair<float, bool>> ranking;  // (distance, relevant)
    for (int64_t j = 0; j < ng; ++j)
      if (gid[j] != qid[i]) ranking.emplace_back(matrix[i * ng + j], gl[j] == ql[i]);
    std::sort(ranking.begin(), ranking.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    int64_t positives = 0;
    for (const auto& item : ranking) positives += item.second;
    if (positives == 0) continue;
    out[i].evaluated = true;
    // CMC: 1 + negatives strictly closer than the first positive.
    float first = 0;
    for (const auto& item : ranking)
      if (item.second) {
        first = item.first;
        break;
      }
    int64_t closer = 0;
    for (const auto& item : ranking) closer += (!item.second && item.first < first) ? 1 : 0;
    out[i].rank = 1 + closer;
    // scikit-learn: precision/recall at each distinct threshold, AP = sum (R_n - R_{n-1}) P_n.
    double ap = 0.0, previous_recall = 0.0;
    int64_t tp = 0, seen = 0;
    for (size_t a = 0; a < ranking.size();) {
      size_t b = a;
      while (b < ranking.size() && ranking[b].first == ranking[a].first) {
        tp += ranking[b].second;
        ++b;
      }
      seen += static_cast<int64_t>(b - a);
      const double recall = static_cast<double>(tp) / positives;
      ap += (recall - previous_recall) * static_cast<double>(tp) / static_cast<double>(seen);
      previous_recall = recall;
      a = b;
    }
    out[i].ap = ap;
  }
  return out;
}

// Integer embeddings in a tiny range: many distances tie exactly.
EmbeddingSet random_tied_set(int64_t n, int64_t d, int64_t classes, int64_t first_id,
                             uint64_t seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  return {torch::randint(-1, 2, {n, d}, generator, torch::kFloat32),
          torch::randint(0, classes, {n}, generator, torch::kInt64),
          torch::arange(first_id, first_id + n, torch::kInt64)};
}

void expect_matches_reference(const EmbeddingSet& query, const EmbeddingSet& gallery,
                              Distance distance, int64_t block, const std::string& what) {
  SCOPED_TRACE(what + " block=" + std::to_string(block));
  const auto want = reference(query, gallery, distance);
  const auto r = evaluate_retrieval(query, gallery, with(distance, block));
  const int64_t nq = query.embeddings.size(0);
  ASSERT_EQ(r.evaluated.numel(), nq);
  int64_t queries = 0, top1 = 0, top5 = 0;
  double ap_sum = 0.0;
  const auto ranks = as_vector(r.first_positive_rank);
  const auto evaluated = as_vector(r.evaluated);
  const auto correct = as_vector(r.top1_correct);
  for (int64_t i = 0; i < nq; ++i) {
    ASSERT_EQ(evaluated[i], want[i].evaluated ? 1 : 0) << "query " << i;
    ASSERT_EQ(ranks[i], want[i].rank) << "query " << i;
    ASSERT_EQ(correct[i], want[i].evaluated && want[i].rank == 1 ? 1 : 0) << "query " << i;
    ASSERT_NEAR(r.average_precision[i].item<double>(), want[i].ap, 1e-12) << "query " << i;
    if (!want[i].evaluated) continue;
    ++queries;
    top1 += want[i].rank <= 1;
    top5 += want[i].rank <= 5;
    ap_sum += want[i].ap;
  }
  ASSERT_GT(queries, 0);
  EXPECT_EQ(r.queries, queries);
  EXPECT_NEAR(r.top1, 100.0 * top1 / queries, 1e-9);
  EXPECT_NEAR(r.top5, 100.0 * top5 / queries, 1e-9);
  EXPECT_NEAR(r.mAP, 100.0 * ap_sum / queries, 1e-9);
}

TEST(Retrieval, MatchesFullSortReferenceWithTies) {
  for (Distance distance : {Distance::kL2, Distance::kCosine}) {
    const std::string name = config::name_of(distance);
    // Query == gallery (the protocol's case): same ids, every query leaves itself out.
    const auto same = random_tied_set(57, 3, 4, 0, 1);
    // Two "models" over partly overlapping samples: query ids 30..69, gallery ids 0..49.
    const auto gallery = random_tied_set(50, 4, 3, 0, 2);
    const auto query = random_tied_set(40, 4, 4, 30, 3);  // label 3 absent: skipped queries
    for (int64_t block : {0, 1, 2, 7, 16, 57, 100}) {
      expect_matches_reference(same, same, distance, block, name + " query==gallery");
      expect_matches_reference(query, gallery, distance, block, name + " overlapping ids");
    }
  }
}

TEST(Retrieval, MatchesReferenceOnManyRandomTieHeavySets) {
  for (uint64_t seed = 10; seed < 40; ++seed) {
    const int64_t n = 5 + static_cast<int64_t>(seed % 13) * 4;
    const int64_t d = 1 + static_cast<int64_t>(seed % 3);
    const auto set = random_tied_set(n, d, 2 + static_cast<int64_t>(seed % 4), 0, seed);
    const Distance distance = seed % 2 ? Distance::kL2 : Distance::kCosine;
    expect_matches_reference(set, set, distance, 1 + static_cast<int64_t>(seed % 5),
                             "seed " + std::to_string(seed));
  }
}

// Hundreds of positives per query with only a handful of distinct distances: long tie groups, many
// positives per cell of the locator's table, and rows where every positive is at one distance.
TEST(Retrieval, MatchesReferenceWithManyPositivesPerQuery) {
  for (Distance distance : {Distance::kL2, Distance::kCosine}) {
    const auto wide = random_tied_set(400, 2, 2, 0, 50);
    expect_matches_reference(wide, wide, distance, 0, config::name_of(distance) + " 2 classes");
    auto flat = random_tied_set(120, 1, 3, 0, 51);  // d = 1: distances take 3 values at most
    expect_matches_reference(flat, flat, distance, 5, config::name_of(distance) + " d=1");
    // Spread-out float positives mixed with exact duplicates.
    torch::manual_seed(52);
    EmbeddingSet mixed{torch::randn({300, 3}), torch::randint(0, 2, {300}, torch::kInt64),
                       torch::arange(300, torch::kInt64)};
    mixed.embeddings.narrow(0, 0, 100).copy_(mixed.embeddings.narrow(0, 100, 100));
    mixed.embeddings = mixed.embeddings.round();  // integers: exact dot products
    expect_matches_reference(mixed, mixed, distance, 64, config::name_of(distance) + " mixed");
  }
}

TEST(Retrieval, FloatEmbeddingsGiveTheSameBitsForEveryBlockSize) {
  torch::manual_seed(4);
  const int64_t n = 300;
  EmbeddingSet set{torch::randn({n, 16}), torch::randint(0, 10, {n}, torch::kInt64),
                   torch::arange(n, torch::kInt64)};
  // A duplicated gallery embedding must tie with its original exactly.
  set.embeddings[7] = set.embeddings[3];
  for (Distance distance : {Distance::kL2, Distance::kCosine}) {
    const auto base = evaluate_retrieval(set, set, with(distance, 1));
    for (int64_t block : {0, 13, 64, 299}) {
      const auto r = evaluate_retrieval(set, set, with(distance, block));
      EXPECT_EQ(r.mAP, base.mAP);
      EXPECT_TRUE(torch::equal(r.average_precision, base.average_precision));
      EXPECT_TRUE(torch::equal(r.first_positive_rank, base.first_positive_rank));
    }
    const auto distances = pairwise_distances(set.embeddings, set.embeddings, distance);
    EXPECT_TRUE(torch::equal(distances.select(1, 3), distances.select(1, 7)));
  }
}

TEST(Retrieval, PairwiseDistancesAreEuclideanSquaredAndTrueCosine) {
  torch::manual_seed(5);
  const auto q = torch::randn({20, 32}), g = torch::randn({30, 32}) * 3.0;
  const auto qd = q.to(torch::kFloat64), gd = g.to(torch::kFloat64);
  const auto l2 = pairwise_distances(q, g, Distance::kL2).to(torch::kFloat64);
  const auto want_l2 = torch::cdist(qd, gd).pow(2);
  EXPECT_LT((l2 - want_l2).abs().max().item<double>() / want_l2.abs().max().item<double>(), 1e-5);
  // True cosine (L2-normalised), not the L1-normalised variant of the reference code.
  const auto cosine = pairwise_distances(q, g, Distance::kCosine).to(torch::kFloat64);
  const auto want_cosine =
      1.0 - torch::mm(torch::nn::functional::normalize(
                          qd, torch::nn::functional::NormalizeFuncOptions().p(2).dim(1)),
                      torch::nn::functional::normalize(
                          gd, torch::nn::functional::NormalizeFuncOptions().p(2).dim(1))
                          .t());
  EXPECT_LT((cosine - want_cosine).abs().max().item<double>(), 1e-6);
  // Cosine ignores the scale of either side.
  EXPECT_TRUE(torch::allclose(pairwise_distances(q * 5.0, g, Distance::kCosine),
                              pairwise_distances(q, g, Distance::kCosine), 1e-5, 1e-6));
}

// ---- negative flips -----------------------------------------------------------------------------

RetrievalResult flags(std::vector<int64_t> correct, std::vector<int64_t> evaluated) {
  RetrievalResult r;
  r.top1_correct = torch::tensor(correct, torch::kInt64).to(torch::kBool);
  r.evaluated = torch::tensor(evaluated, torch::kInt64).to(torch::kBool);
  return r;
}

TEST(RetrievalNegativeFlips, HandMadeCase) {
  // Query 4 is not evaluated; flips: queries 0 and 3 (right before, wrong after); query 2 was
  // wrong and is now right (a positive flip, not counted) -> 2 of 4 evaluated queries.
  const auto reference = flags({1, 1, 0, 1, 0}, {1, 1, 1, 1, 0});
  const auto updated = flags({0, 1, 1, 0, 0}, {1, 1, 1, 1, 0});
  EXPECT_DOUBLE_EQ(negative_flip_rate(reference, updated), 50.0);
  EXPECT_DOUBLE_EQ(negative_flip_rate(reference, reference), 0.0);
  EXPECT_DOUBLE_EQ(negative_flip_rate(updated, reference), 25.0);
  EXPECT_DOUBLE_EQ(negative_flip_rate(flags({0}, {0}), flags({0}, {0})), 0.0);
}

TEST(RetrievalNegativeFlips, EndToEndOldAndNewEmbeddings) {
  // Gallery: A at 0 and 10, B at 1 (ids 0..2). Query q (id 5, A) at 0.4: top-1 is A (d .16).
  // "Updated" query at 0.6: top-1 is B (d .16 vs .36) -> one flip among one query.
  const auto gallery = make_set({{0}, {10}, {1}}, {0, 0, 1}, {0, 1, 2});
  const auto old_old = evaluate_retrieval(make_set({{0.4f}}, {0}, {5}), gallery);
  const auto updated = evaluate_retrieval(make_set({{0.6f}}, {0}, {5}), gallery);
  EXPECT_DOUBLE_EQ(old_old.top1, 100.0);
  EXPECT_DOUBLE_EQ(updated.top1, 0.0);
  EXPECT_DOUBLE_EQ(negative_flip_rate(old_old, updated), 100.0);
}

TEST(RetrievalNegativeFlips, RejectsDifferentQueries) {
  EXPECT_THROW(negative_flip_rate(flags({1, 0}, {1, 1}), flags({1}, {1})), Error);
  EXPECT_THROW(negative_flip_rate(flags({1, 0}, {1, 1}), flags({1, 0}, {1, 0})), Error);
  EXPECT_THROW(negative_flip_rate(RetrievalResult{}, RetrievalResult{}), Error);
}

// ---- input checks ----------------------------------------------------------------------------

TEST(Retrieval, ParsesDistanceNames) {
  EXPECT_EQ(config::enum_from_name<Distance>("l2"), Distance::kL2);
  EXPECT_EQ(config::enum_from_name<Distance>("cosine"), Distance::kCosine);
  EXPECT_FALSE(config::enum_from_name<Distance>("cos"));
  EXPECT_FALSE(config::enum_from_name<Distance>("L2"));
  EXPECT_EQ(config::name_of(Distance::kCosine), "cosine");
}

TEST(Retrieval, RejectsInconsistentInput) {
  const auto gallery = make_set({{0, 0}, {1, 1}}, {0, 1}, {0, 1});
  EXPECT_THROW(evaluate_retrieval(make_set({{0, 0, 0}}, {0}, {5}), gallery), DataError);
  EXPECT_THROW(
      evaluate_retrieval(EmbeddingSet{torch::zeros({2, 2}), torch::zeros({3}, torch::kInt64),
                                      torch::zeros({2}, torch::kInt64)},
                         gallery),
      DataError);
  EXPECT_THROW(evaluate_retrieval(EmbeddingSet{torch::zeros({2, 2}), torch::zeros({2}),
                                               torch::zeros({2}, torch::kInt64)},
                                  gallery),
               DataError);  // float labels
  auto nan = make_set({{0, 0}}, {0}, {5});
  nan.embeddings[0][1] = std::nanf("");
  EXPECT_THROW(evaluate_retrieval(nan, gallery), DataError);
  RetrievalOptions negative;
  negative.block_size = -1;
  EXPECT_THROW(evaluate_retrieval(make_set({{0, 0}}, {0}, {5}), gallery, negative), ConfigError);
  // int32 labels and ids and float64 embeddings are converted.
  const auto r = evaluate_retrieval(
      EmbeddingSet{torch::zeros({1, 2}, torch::kFloat64), torch::zeros({1}, torch::kInt32),
                   torch::full({1}, 9, torch::kInt32)},
      gallery);
  EXPECT_EQ(r.queries, 1);
  EXPECT_DOUBLE_EQ(r.top1, 100.0);
}

}  // namespace
}  // namespace fct::eval
