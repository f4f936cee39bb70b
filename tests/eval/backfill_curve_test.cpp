// Backfilling curves: the AUC is the plain mean; the end points are the plain evaluations of the
// transformed and the new gallery; the incremental curve equals building and evaluating every
// fraction's mixed gallery from scratch; and galleries of other items are refused.
#include "framework/eval/backfill_curve.h"

#include <gtest/gtest.h>

#include "framework/core/error.h"
#include "framework/eval/backfill_order.h"

namespace fct::eval {
namespace {

EmbeddingSet make_set(int64_t n, int64_t d, const torch::Tensor& labels, uint64_t seed,
                      bool integer_valued) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::Tensor embeddings = integer_valued
                                 ? torch::randint(-2, 3, {n, d}, generator, torch::kFloat32)
                                 : torch::randn({n, d}, generator, torch::kFloat32);
  return {embeddings, labels, torch::arange(n, torch::kInt64)};
}

void expect_same_curve(const BackfillCurve& got, const BackfillCurve& want) {
  EXPECT_EQ(got.fractions, want.fractions);
  EXPECT_EQ(got.backfilled, want.backfilled);
  EXPECT_EQ(got.top1, want.top1);
  EXPECT_EQ(got.top5, want.top5);
  EXPECT_EQ(got.mAP, want.mAP);
  EXPECT_EQ(got.negative_flips, want.negative_flips);
  EXPECT_EQ(got.queries, want.queries);
}

TEST(BackfillCurve, AucIsThePlainMeanNotTheTrapezoid) {
  // Points at β = 0, ½, 1: the mean is 30; the trapezoid rule would give 27.5.
  EXPECT_DOUBLE_EQ(curve_auc({10.0, 20.0, 60.0}), 30.0);
  BackfillCurve curve;
  curve.top1 = {50.0, 60.0, 70.0, 80.0};
  curve.mAP = {1.0, 1.0, 1.0, 5.0};
  EXPECT_DOUBLE_EQ(curve.auc_top1(), 65.0);
  EXPECT_DOUBLE_EQ(curve.auc_mAP(), 2.0);
  EXPECT_DOUBLE_EQ(curve.auc_negative_flips(), 0.0);  // no reference
  EXPECT_THROW(curve_auc({}), Error);
}

TEST(BackfillCurve, HandMadeGalleryAtEveryFraction) {
  // Four items on a line, classes {0, 0, 1, 1}. New embeddings (queries and the new gallery):
  // 0, 1, 10, 11, every top-1 right. h misplaces items 0 and 3: 10.5, 1, 10, 0.5. Order: items
  // 0, 2, 1, 3; steps = 2, so 0, 2 and 4 items carry φ_new.
  const auto labels = torch::tensor({0, 0, 1, 1}, torch::kInt64);
  const auto ids = torch::arange(4, torch::kInt64);
  const EmbeddingSet query{torch::tensor({0.0f, 1.0f, 10.0f, 11.0f}).unsqueeze(1), labels, ids};
  const EmbeddingSet before{torch::tensor({10.5f, 1.0f, 10.0f, 0.5f}).unsqueeze(1), labels, ids};
  const auto order = torch::tensor({0, 2, 1, 3}, torch::kInt64);
  BackfillCurveOptions options;
  options.steps = 2;
  const auto curve = evaluate_backfill_curve(query, before, query, order, options);
  EXPECT_EQ(curve.backfilled, (std::vector<int64_t>{0, 2, 4}));
  EXPECT_EQ(curve.fractions, (std::vector<double>{0.0, 0.5, 1.0}));
  // β = 0, gallery 10.5, 1, 10, 0.5 (self excluded): query 0 (at 0) -> item 3 (0.5, class 1);
  // query 1 (at 1) -> item 3; query 2 (at 10) -> item 0 (10.5, class 0); query 3 (at 11) ->
  // item 0. All wrong: 0 %.
  // β = ½, gallery 0, 1, 10, 0.5: queries 0 and 1 -> item 3 (wrong); query 2 -> item 1 at 1
  // (wrong); query 3 -> item 2 at 10 (right): 25 %. β = 1: the new gallery, 100 %.
  EXPECT_EQ(curve.top1, (std::vector<double>{0.0, 25.0, 100.0}));
  EXPECT_NEAR(curve.auc_top1(), 125.0 / 3.0, 1e-12);
  EXPECT_EQ(curve.mAP.back(), 100.0);
}

class IncrementalCurve : public ::testing::TestWithParam<std::tuple<Distance, bool>> {};

TEST_P(IncrementalCurve, EqualsRecomputingEveryFraction) {
  const auto [distance, integer_valued] = GetParam();
  const int64_t n = 301, d = 8;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(11);
  const auto labels = torch::randint(0, 6, {n}, generator, torch::kInt64);
  const auto query = make_set(n, d, labels, 1, integer_valued);
  const auto before = make_set(n, d, labels, 2, integer_valued);
  const auto reference_query = make_set(n, d, labels, 3, integer_valued);
  OrderInputs inputs;
  inputs.rows = n;
  inputs.seed = 5;
  const auto order = compute_backfill_order("random", inputs);
  BackfillCurveOptions options;
  options.retrieval.distance = distance;
  options.retrieval.block_size = 37;  // several blocks, the last one short
  const auto reference = evaluate_retrieval(reference_query, reference_query, options.retrieval);
  const auto incremental =
      evaluate_backfill_curve(query, before, query, order, options, &reference);
  const auto full = recompute_backfill_curve(query, before, query, order, options, &reference);
  ASSERT_EQ(incremental.top1.size(), 22u);
  expect_same_curve(incremental, full);
  // End points: the plain evaluations of the two galleries.
  const auto at_zero = evaluate_retrieval(query, before, options.retrieval);
  const auto at_one = evaluate_retrieval(query, query, options.retrieval);
  EXPECT_EQ(incremental.mAP.front(), at_zero.mAP);
  EXPECT_EQ(incremental.top1.back(), at_one.top1);
  EXPECT_EQ(incremental.mAP.back(), at_one.mAP);
  // The automatic block size gives the same curve.
  options.retrieval.block_size = 0;
  expect_same_curve(evaluate_backfill_curve(query, before, query, order, options, &reference),
                    incremental);
}

INSTANTIATE_TEST_SUITE_P(DistancesAndValues, IncrementalCurve,
                         ::testing::Combine(::testing::Values(Distance::kL2, Distance::kCosine),
                                            ::testing::Bool()));

TEST(BackfillCurve, RefusesGalleriesOfOtherItemsAndBadOrders) {
  const auto labels = torch::tensor({0, 1, 0}, torch::kInt64);
  const auto set = make_set(3, 2, labels, 1, false);
  auto other = set;
  other.ids = torch::tensor({0, 1, 5}, torch::kInt64);
  const auto order = torch::tensor({2, 1, 0}, torch::kInt64);
  EXPECT_THROW(evaluate_backfill_curve(set, set, other, order), DataError);
  auto relabelled = set;
  relabelled.labels = torch::tensor({0, 1, 1}, torch::kInt64);
  EXPECT_THROW(evaluate_backfill_curve(set, set, relabelled, order), DataError);
  EXPECT_THROW(evaluate_backfill_curve(set, set, set, torch::tensor({0, 0, 1}, torch::kInt64)),
               DataError);
  BackfillCurveOptions options;
  options.steps = 0;
  EXPECT_THROW(evaluate_backfill_curve(set, set, set, order, options), ConfigError);
}

}  // namespace
}  // namespace fct::eval
