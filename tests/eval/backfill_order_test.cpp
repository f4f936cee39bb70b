// The backfilling orders: each a permutation, in the documented order, ties to the lower row,
// random reproducible per seed, and the inputs an order needs are demanded by name.
#include "framework/eval/backfill_order.h"

#include <gtest/gtest.h>

#include "framework/core/error.h"

namespace fct::eval {
namespace {

std::vector<int64_t> as_vector(const torch::Tensor& t) {
  return std::vector<int64_t>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
}

TEST(BackfillOrder, SigmaIsDescendingWithTiesToTheLowerRow) {
  OrderInputs inputs;
  inputs.rows = 5;
  inputs.sigma = torch::tensor({0.5f, 2.0f, -1.0f, 2.0f, 0.5f}).unsqueeze(1);
  EXPECT_EQ(as_vector(compute_backfill_order("sigma", inputs)),
            (std::vector<int64_t>{1, 3, 0, 4, 2}));
}

TEST(BackfillOrder, DistanceIsDescendingDistanceToTheNewEmbedding) {
  OrderInputs inputs;
  inputs.rows = 4;
  inputs.transformed = torch::zeros({4, 2});
  // |φ_new − h|: 1, 5, 0, 2
  inputs.updated = torch::tensor({{1.0f, 0.0f}, {3.0f, 4.0f}, {0.0f, 0.0f}, {0.0f, -2.0f}});
  EXPECT_EQ(as_vector(compute_backfill_order("distance", inputs)),
            (std::vector<int64_t>{1, 3, 0, 2}));
}

TEST(BackfillOrder, RandomIsAPermutationFixedBySeed) {
  OrderInputs inputs;
  inputs.rows = 1000;
  inputs.seed = 7;
  const auto a = compute_backfill_order("random", inputs);
  const auto b = compute_backfill_order("random", inputs);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_NO_THROW(check_permutation(a, 1000, "random"));
  EXPECT_FALSE(torch::equal(a, torch::arange(1000, torch::kInt64)));
  inputs.seed = 8;
  EXPECT_FALSE(torch::equal(a, compute_backfill_order("random", inputs)));
}

TEST(BackfillOrder, MissingInputsAndUnknownNamesAreNamed) {
  OrderInputs inputs;
  inputs.rows = 3;
  try {
    compute_backfill_order("sigma", inputs);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("σ"), std::string::npos) << e.what();
  }
  EXPECT_THROW(compute_backfill_order("distance", inputs), Error);
  inputs.sigma = torch::zeros({2});
  EXPECT_THROW(compute_backfill_order("sigma", inputs), DataError);
  inputs.sigma = torch::tensor({0.0f, NAN, 1.0f});
  EXPECT_THROW(compute_backfill_order("sigma", inputs), DataError);
  try {
    compute_backfill_order("sigmaa", inputs);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sigma"), std::string::npos) << e.what();
  }
}

TEST(BackfillOrder, CheckPermutationRejectsRepeatsAndRange) {
  EXPECT_THROW(check_permutation(torch::tensor({0, 0, 2}, torch::kInt64), 3, "o"), DataError);
  EXPECT_THROW(check_permutation(torch::tensor({0, 1, 3}, torch::kInt64), 3, "o"), DataError);
  EXPECT_THROW(check_permutation(torch::tensor({0, 1}, torch::kInt64), 3, "o"), DataError);
  EXPECT_NO_THROW(check_permutation(torch::tensor({2, 0, 1}, torch::kInt64), 3, "o"));
}

}  // namespace
}  // namespace fct::eval
