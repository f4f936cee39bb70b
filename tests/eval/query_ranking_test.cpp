// The per-query machinery of the retrieval evaluation (framework/eval/query_ranking.h): prepare
// (conversion, validation, the norm terms), dots_to_distances for l2 and cosine against a float64
// brute-force torch computation, the gallery lookups, QueryEvaluator against a direct
// implementation of the documented ranking rules (ties with the closest positive are not "closer";
// tied distances are one threshold step, as scikit-learn's average_precision_score; items with the
// query's id are left out), block sizes, and the summary of packed outcomes.
#include "framework/eval/query_ranking.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "framework/core/error.h"

namespace fct::eval {
namespace {

using detail::GalleryIndex;
using detail::PreparedSet;
using detail::QueryEvaluator;
using detail::QueryOutcome;

template <class E>
std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}

torch::Tensor random_embeddings(int64_t n, int64_t d, uint64_t seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  return torch::randn({n, d}, generator, torch::kFloat32);
}

EmbeddingSet set_of(const torch::Tensor& embeddings) {
  const int64_t n = embeddings.size(0);
  return {embeddings, torch::zeros({n}, torch::kInt64), torch::arange(n, torch::kInt64)};
}

// The distances of every query to every gallery item through the evaluation's own path: one
// float32 matrix product, then dots_to_distances row by row.
torch::Tensor distances_of(const torch::Tensor& queries, const torch::Tensor& gallery,
                           Distance distance) {
  const PreparedSet q = detail::prepare(set_of(queries), distance, "query");
  const PreparedSet g = detail::prepare(set_of(gallery), distance, "gallery");
  torch::Tensor rows = torch::mm(q.embeddings, g.embeddings.t()).contiguous();
  float* data = rows.data_ptr<float>();
  for (int64_t i = 0; i < q.size; ++i)
    detail::dots_to_distances(data + i * g.size, g.size, q.norm_term[static_cast<size_t>(i)],
                              g.norm_term.data(), distance);
  return rows;
}

TEST(QueryRanking, PrepareConvertsToContiguousCpuTensorsWithNormTerms) {
  // Float64 rows (3, 4), (0, 0), (1, -2) given transposed (not contiguous); int32 labels.
  const torch::Tensor embeddings =
      torch::tensor({{3.0, 0.0, 1.0}, {4.0, 0.0, -2.0}}, torch::kFloat64).t();
  ASSERT_FALSE(embeddings.is_contiguous());
  const EmbeddingSet set{embeddings, torch::tensor({7, 8, 9}, torch::kInt32),
                         torch::tensor({100, 101, 102}, torch::kInt64)};
  const PreparedSet l2 = detail::prepare(set, Distance::kL2, "gallery");
  EXPECT_EQ(l2.size, 3);
  EXPECT_EQ(l2.embeddings.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(l2.embeddings.is_contiguous());
  EXPECT_TRUE(
      torch::equal(l2.embeddings, torch::tensor({{3.0f, 4.0f}, {0.0f, 0.0f}, {1.0f, -2.0f}})));
  EXPECT_EQ(l2.labels.scalar_type(), torch::kInt64);
  EXPECT_TRUE(torch::equal(l2.labels, torch::tensor({7, 8, 9}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(l2.ids, torch::tensor({100, 101, 102}, torch::kInt64)));
  // l2: |x|^2.
  EXPECT_EQ(l2.norm_term, (std::vector<float>{25.0f, 0.0f, 5.0f}));
  // cosine: 1/|x| from float64, rounded once; a zero vector gets 0 (its distances are then 1).
  const PreparedSet cosine = detail::prepare(set, Distance::kCosine, "gallery");
  EXPECT_EQ(cosine.norm_term,
            (std::vector<float>{0.2f, 0.0f, static_cast<float>(1.0 / std::sqrt(5.0))}));

  const PreparedSet empty = detail::prepare(set_of(torch::zeros({0, 4})), Distance::kL2, "query");
  EXPECT_EQ(empty.size, 0);
  EXPECT_TRUE(empty.norm_term.empty());
  EXPECT_EQ(empty.embeddings.sizes().vec(), (std::vector<int64_t>{0, 4}));
}

TEST(QueryRanking, PrepareRefusesMalformedSetsNamingTheSide) {
  const auto labels = torch::zeros({3}, torch::kInt64);
  const auto ids = torch::arange(3, torch::kInt64);
  const auto prepare = [](const EmbeddingSet& set) {
    detail::prepare(set, Distance::kL2, "query");
  };
  EXPECT_EQ(error_of<DataError>([&] {
              prepare({torch::Tensor(), labels, ids});
            }),
            "query embeddings must be a 2-D [N, d] tensor");
  EXPECT_EQ(error_of<DataError>([&] {
              prepare({torch::zeros({3}), labels, ids});
            }),
            "query embeddings must be a 2-D [N, d] tensor");
  EXPECT_EQ(error_of<DataError>([&] {
              prepare({torch::zeros({3, 2}), labels.slice(0, 0, 2), ids});
            }),
            "query labels must be a 1-D tensor of 3 entries (one per embedding)");
  EXPECT_EQ(error_of<DataError>([&] {
              prepare({torch::zeros({3, 2}), labels, ids.view({3, 1})});
            }),
            "query ids must be a 1-D tensor of 3 entries (one per embedding)");
  EXPECT_EQ(error_of<DataError>([&] {
              prepare({torch::zeros({3, 2}), torch::zeros({3}), ids});
            }),
            "query labels must be integers");
  EXPECT_EQ(error_of<DataError>([&] {
              prepare({torch::zeros({3, 2}), labels, torch::Tensor()});
            }),
            "query ids must be a 1-D tensor of 3 entries (one per embedding)");
  for (const float bad :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    auto embeddings = torch::zeros({3, 2});
    embeddings[1][1] = bad;
    EXPECT_EQ(error_of<DataError>([&] {
                prepare({embeddings, labels, ids});
              }),
              "query embeddings contain NaN or infinite values");
  }
}

TEST(QueryRanking, DotsToDistancesAppliesTheDocumentedFormulas) {
  // l2: max(0, (|q|^2 + |g|^2) - 2 q.g); a negative result (rounding) becomes 0.
  std::vector<float> row = {5.0f, 1.0f, -1.0f, 0.5f};
  const std::vector<float> squares = {1.0f, 1.0f, 3.0f, 0.25f};
  detail::dots_to_distances(row.data(), 4, 1.0f, squares.data(), Distance::kL2);
  EXPECT_EQ(row, (std::vector<float>{0.0f, 0.0f, 6.0f, 0.25f}));
  // cosine: 1 - (q.g * (1/|q|)) * (1/|g|); an inverse norm of 0 (a zero vector) gives 1.
  row = {2.0f, 2.0f, -4.0f};
  const std::vector<float> inverse_norms = {0.25f, 0.0f, 0.5f};
  detail::dots_to_distances(row.data(), 3, 0.5f, inverse_norms.data(), Distance::kCosine);
  EXPECT_EQ(row, (std::vector<float>{0.75f, 1.0f, 2.0f}));
}

TEST(QueryRanking, L2DistancesMatchABruteForceComputation) {
  const torch::Tensor queries = random_embeddings(6, 9, 1);
  torch::Tensor gallery = random_embeddings(11, 9, 2) * 3;
  gallery[4] = queries[2];  // a gallery copy of a query
  const torch::Tensor got = distances_of(queries, gallery, Distance::kL2);
  ASSERT_EQ(got.sizes().vec(), (std::vector<int64_t>{6, 11}));
  const torch::Tensor q = queries.to(torch::kFloat64), g = gallery.to(torch::kFloat64);
  const torch::Tensor want = (q.unsqueeze(1) - g.unsqueeze(0)).pow(2).sum(2);
  const double scale = want.abs().max().item<double>();
  EXPECT_LT((got.to(torch::kFloat64) - want).abs().max().item<double>(), 1e-5 * scale)
      << got << want;
  EXPECT_GE(got.min().item<float>(), 0.0f);
  EXPECT_LT(got[2][4].item<float>(), 1e-5 * scale);
  // The same bits as the public pairwise_distances, which goes through the same two steps.
  EXPECT_TRUE(torch::equal(got, pairwise_distances(queries, gallery, Distance::kL2)));
}

TEST(QueryRanking, CosineDistancesMatchABruteForceComputation) {
  const torch::Tensor queries = random_embeddings(5, 8, 3);
  torch::Tensor gallery = random_embeddings(10, 8, 4);
  gallery[3] = queries[1] * 7;  // the same direction, another length: distance 0
  gallery[6] = -queries[0];     // the opposite direction: distance 2
  gallery[8].zero_();           // a zero vector: distance 1 to everything
  const torch::Tensor got = distances_of(queries, gallery, Distance::kCosine);
  const torch::Tensor q = queries.to(torch::kFloat64), g = gallery.to(torch::kFloat64);
  torch::Tensor want = 1 - torch::mm(q / q.norm(2, 1, true), (g / g.norm(2, 1, true)).t());
  want.select(1, 8).fill_(1.0);  // 0/0 in the brute force; 1 by definition
  EXPECT_LT((got.to(torch::kFloat64) - want).abs().max().item<double>(), 1e-5) << got << want;
  EXPECT_NEAR(got[1][3].item<float>(), 0.0f, 1e-5);
  EXPECT_NEAR(got[0][6].item<float>(), 2.0f, 1e-5);
  for (int64_t i = 0; i < 5; ++i) EXPECT_EQ(got[i][8].item<float>(), 1.0f) << i;
  EXPECT_TRUE(torch::equal(got, pairwise_distances(queries, gallery, Distance::kCosine)));
}

TEST(QueryRanking, IdenticalGalleryRowsGetBitIdenticalDistances) {
  // Exact ties must be decided the same way everywhere: equal inputs, equal bits. Small-integer
  // embeddings make every dot product exact, so only the norm terms and the formula are on trial.
  auto generator = at::make_generator<at::CPUGeneratorImpl>(5);
  const torch::Tensor queries = torch::randint(-3, 4, {4, 16}, generator, torch::kFloat32);
  torch::Tensor gallery = torch::randint(-3, 4, {6, 16}, generator, torch::kFloat32);
  gallery[5] = gallery[1];
  for (const Distance distance : {Distance::kL2, Distance::kCosine}) {
    const torch::Tensor d = distances_of(queries, gallery, distance);
    EXPECT_TRUE(torch::equal(d.select(1, 1), d.select(1, 5)));
  }
}

PreparedSet gallery_of(std::vector<int64_t> labels, std::vector<int64_t> ids) {
  const auto n = static_cast<int64_t>(labels.size());
  return detail::prepare({torch::zeros({n, 1}), torch::tensor(labels, torch::kInt64),
                          torch::tensor(ids, torch::kInt64)},
                         Distance::kL2, "gallery");
}

TEST(QueryRanking, GalleryIndexGroupsByLabelStablyAndSortsById) {
  const PreparedSet gallery = gallery_of({3, 1, 3, 2, 1}, {10, 11, 10, 12, 13});
  const GalleryIndex index(gallery);
  EXPECT_EQ(index.label_values, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(index.label_offsets, (std::vector<int64_t>{0, 2, 3, 5}));
  EXPECT_EQ(index.by_label, (std::vector<int64_t>{1, 4, 3, 0, 2}));  // gallery order within a label
  EXPECT_EQ(index.label_range(3), (std::pair<int64_t, int64_t>{3, 5}));
  EXPECT_EQ(index.label_range(1), (std::pair<int64_t, int64_t>{0, 2}));
  EXPECT_EQ(index.label_range(0).first, index.label_range(0).second);
  EXPECT_EQ(index.label_range(7).first, index.label_range(7).second);
  EXPECT_EQ(index.by_id, (std::vector<std::pair<int64_t, int64_t>>{
                             {10, 0}, {10, 2}, {11, 1}, {12, 3}, {13, 4}}));
  EXPECT_EQ(index.id_range(10), (std::pair<int64_t, int64_t>{0, 2}));
  EXPECT_EQ(index.id_range(13), (std::pair<int64_t, int64_t>{4, 5}));
  EXPECT_EQ(index.id_range(99).first, index.id_range(99).second);
  EXPECT_EQ(index.id_range(-5).first, index.id_range(-5).second);
}

QueryOutcome evaluate(const PreparedSet& gallery, const std::vector<float>& row, int64_t label,
                      int64_t id) {
  const GalleryIndex index(gallery);
  QueryEvaluator evaluator(gallery, index);
  return evaluator.evaluate(row.data(), label, id);
}

TEST(QueryRanking, OnlyStrictlyCloserNegativesPushTheFirstPositiveDown) {
  //            label:  0     1     0     1     1
  const PreparedSet gallery = gallery_of({0, 1, 0, 1, 1}, {0, 1, 2, 3, 4});
  // Query of label 1: negatives at 0.5 and 2.0, positives at 1.0, 1.0 and 3.0.
  const std::vector<float> row = {0.5f, 1.0f, 2.0f, 1.0f, 3.0f};
  const QueryOutcome outcome = evaluate(gallery, row, 1, 99);
  EXPECT_TRUE(outcome.evaluated);
  EXPECT_EQ(outcome.first_positive_rank, 2);
  // Thresholds 1.0 (two positives, 3 items at or below) and 3.0 (one positive, 5 items).
  EXPECT_DOUBLE_EQ(outcome.average_precision, (2.0 * 2.0 / 3.0 + 1.0 * 3.0 / 5.0) / 3.0);
}

TEST(QueryRanking, ATieWithTheClosestPositiveIsOneStepWhateverTheIndexOrder) {
  // A negative at the positive's distance is not closer (rank 1), and both enter precision at
  // once (AP 1/2), whether the negative comes first in the gallery or second.
  for (const bool negative_first : {true, false}) {
    const PreparedSet gallery =
        negative_first ? gallery_of({0, 1}, {0, 1}) : gallery_of({1, 0}, {0, 1});
    const QueryOutcome outcome = evaluate(gallery, {1.0f, 1.0f}, 1, 7);
    EXPECT_EQ(outcome.first_positive_rank, 1) << negative_first;
    EXPECT_DOUBLE_EQ(outcome.average_precision, 0.5) << negative_first;
  }
}

TEST(QueryRanking, ItemsWithTheQuerysIdAreLeftOut) {
  // Gallery ids 5, 6, 5: both items with id 5 (one positive, one negative) are the query itself.
  const PreparedSet gallery = gallery_of({1, 1, 0}, {5, 6, 5});
  const QueryOutcome outcome = evaluate(gallery, {0.0f, 2.0f, 1.0f}, 1, 5);
  EXPECT_TRUE(outcome.evaluated);
  EXPECT_EQ(outcome.first_positive_rank, 1);  // the negative at 1.0 was left out too
  EXPECT_DOUBLE_EQ(outcome.average_precision, 1.0);
  // With only itself as a positive, a query has none: skipped.
  const QueryOutcome alone = evaluate(gallery_of({1, 0}, {5, 6}), {0.0f, 1.0f}, 1, 5);
  EXPECT_FALSE(alone.evaluated);
  EXPECT_EQ(alone.first_positive_rank, 0);
  EXPECT_EQ(alone.average_precision, 0.0);
  // A label the gallery does not have: skipped.
  EXPECT_FALSE(evaluate(gallery, {0.0f, 2.0f, 1.0f}, 4, 9).evaluated);
}

// The documented rules, computed directly: the left-out items (the query's id) are dropped; the
// first-positive rank is 1 + the negatives strictly below the closest positive; AP sums, over the
// distinct positive distances t in ascending order, (positives at t / P) x (positives <= t /
// items <= t).
QueryOutcome reference(const std::vector<float>& row, const std::vector<int64_t>& labels,
                       const std::vector<int64_t>& ids, int64_t label, int64_t id) {
  std::vector<float> positives, kept;
  for (std::size_t j = 0; j < row.size(); ++j) {
    if (ids[j] == id) continue;
    kept.push_back(row[j]);
    if (labels[j] == label) positives.push_back(row[j]);
  }
  QueryOutcome outcome;
  if (positives.empty()) return outcome;
  std::sort(positives.begin(), positives.end());
  const auto p = static_cast<int64_t>(positives.size());
  double sum = 0.0;
  for (int64_t a = 0; a < p;) {
    int64_t b = a + 1;
    while (b < p && positives[b] == positives[a]) ++b;
    const auto at_or_below =
        std::count_if(kept.begin(), kept.end(), [&](float d) { return d <= positives[a]; });
    sum += static_cast<double>(b - a) * static_cast<double>(b) / static_cast<double>(at_or_below);
    a = b;
  }
  const auto closer =
      std::count_if(kept.begin(), kept.end(), [&](float d) { return d < positives[0]; });
  outcome.evaluated = true;
  outcome.first_positive_rank = 1 + closer;
  outcome.average_precision = sum / static_cast<double>(p);
  return outcome;
}

TEST(QueryRanking, EvaluatorMatchesTheRulesOnRandomTieHeavyRows) {
  // Small integer distances (many ties, some cells with many positives), continuous ones, and
  // clustered ones with outliers (most positives in one cell of the lookup table); one evaluator
  // for all queries, as each thread of the evaluation keeps one.
  std::mt19937 random(20240611);
  constexpr int64_t kGallery = 90;
  std::vector<int64_t> labels(kGallery), ids(kGallery);
  for (int64_t j = 0; j < kGallery; ++j) {
    labels[j] = static_cast<int64_t>(random() % 3);
    ids[j] = static_cast<int64_t>(random() % 60);  // some ids repeat
  }
  const PreparedSet gallery = gallery_of(labels, ids);
  const GalleryIndex index(gallery);
  QueryEvaluator evaluator(gallery, index);
  std::uniform_real_distribution<float> uniform(0.0f, 10.0f);
  int evaluated = 0;
  for (int query = 0; query < 600; ++query) {
    std::vector<float> row(kGallery);
    for (auto& d : row) {
      switch (query % 3) {
        case 0:
          d = static_cast<float>(random() % 6);
          break;
        case 1:
          d = uniform(random);
          break;
        default:
          d = random() % 10 == 0 ? uniform(random) * 100 : 1.0f + uniform(random) * 1e-3f;
      }
    }
    const auto label = static_cast<int64_t>(random() % 4);  // 3: no positive
    const auto id = static_cast<int64_t>(random() % 70);
    const QueryOutcome got = evaluator.evaluate(row.data(), label, id);
    const QueryOutcome want = reference(row, labels, ids, label, id);
    ASSERT_EQ(got.evaluated, want.evaluated) << "query " << query;
    EXPECT_EQ(got.first_positive_rank, want.first_positive_rank) << "query " << query;
    EXPECT_DOUBLE_EQ(got.average_precision, want.average_precision) << "query " << query;
    evaluated += got.evaluated ? 1 : 0;
  }
  EXPECT_GT(evaluated, 300);  // the comparison covered evaluated queries, not only skipped ones
}

TEST(QueryRanking, BlockRowsIsTheGivenSizeOrAbout16MebibytesWithinTheQueries) {
  RetrievalOptions options;
  options.block_size = 7;
  EXPECT_EQ(detail::block_rows(options, 1000, 100), 7);
  EXPECT_EQ(detail::block_rows(options, 1000, 3), 3);  // no more than there are queries
  EXPECT_EQ(detail::block_rows(options, 1000, 0), 1);
  options.block_size = 0;  // automatic: 16 MiB of float32 distances, at least 32 queries
  EXPECT_EQ(detail::block_rows(options, 1000, 1000000), (int64_t{16} << 20) / (4 * 1000));
  EXPECT_EQ(detail::block_rows(options, 10000, 1000000), 419);
  EXPECT_EQ(detail::block_rows(options, 1 << 30, 1000000), 32);
  EXPECT_EQ(detail::block_rows(options, 1 << 30, 20), 20);
  EXPECT_EQ(detail::block_rows(options, 1000, 10), 10);
  EXPECT_EQ(detail::block_rows(options, 0, 50), 50);
  options.block_size = -1;
  EXPECT_EQ(error_of<ConfigError>([&] { detail::block_rows(options, 10, 10); }),
            "retrieval block_size must be >= 0 (0 = automatic), got -1");
}

TEST(QueryRanking, QueryAndGalleryMustShareTheDimension) {
  const PreparedSet q = detail::prepare(set_of(torch::zeros({2, 3})), Distance::kL2, "query");
  const PreparedSet g = detail::prepare(set_of(torch::zeros({4, 4})), Distance::kL2, "gallery");
  EXPECT_EQ(error_of<DataError>([&] { detail::check_compatible(q, g); }),
            "query embeddings have dimension 3 but gallery embeddings have 4");
  EXPECT_NO_THROW(detail::check_compatible(q, q));
}

TEST(QueryRanking, SummaryOfPackedOutcomes) {
  torch::Tensor packed = torch::zeros({detail::kOutcomeFields, 5}, torch::kFloat64);
  double* data = packed.data_ptr<double>();
  const std::vector<QueryOutcome> outcomes = {
      {true, 1, 1.0}, {true, 3, 0.5}, {false, 0, 0.0}, {true, 6, 0.25}, {true, 5, 0.125}};
  for (int64_t k = 0; k < 5; ++k)
    detail::store_outcome(data, 5, k, outcomes[static_cast<std::size_t>(k)]);
  EXPECT_TRUE(torch::equal(packed[0], torch::tensor({1.0, 1.0, 0.0, 1.0, 1.0}, torch::kFloat64)));
  EXPECT_TRUE(torch::equal(packed[1], torch::tensor({1.0, 3.0, 0.0, 6.0, 5.0}, torch::kFloat64)));
  EXPECT_TRUE(torch::equal(packed[3], torch::tensor({1.0, 0.0, 0.0, 0.0, 0.0}, torch::kFloat64)));

  const RetrievalResult result = detail::summarise(packed);
  EXPECT_EQ(result.queries, 4);
  EXPECT_DOUBLE_EQ(result.top1, 25.0);
  EXPECT_DOUBLE_EQ(result.top5, 75.0);  // ranks 1, 3 and 5 of the four evaluated
  EXPECT_DOUBLE_EQ(result.mAP, 100.0 * (1.0 + 0.5 + 0.25 + 0.125) / 4.0);
  EXPECT_TRUE(torch::equal(result.evaluated, torch::tensor({true, true, false, true, true})));
  EXPECT_TRUE(torch::equal(result.top1_correct, torch::tensor({true, false, false, false, false})));
  EXPECT_TRUE(
      torch::equal(result.first_positive_rank, torch::tensor({1, 3, 0, 6, 5}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(result.average_precision,
                           torch::tensor({1.0, 0.5, 0.0, 0.25, 0.125}, torch::kFloat64)));

  // Nothing evaluated: zero figures, not a division by zero.
  const RetrievalResult none = detail::summarise(torch::zeros({4, 3}, torch::kFloat64));
  EXPECT_EQ(none.queries, 0);
  EXPECT_EQ(none.top1, 0.0);
  EXPECT_EQ(none.mAP, 0.0);
}

}  // namespace
}  // namespace fct::eval
