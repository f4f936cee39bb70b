// The transformation h: shapes, parameter count of the protocol's architecture, the two
// side-information variants, and BatchNorm freezing.
#include "framework/models/transformation.h"

#include <gtest/gtest.h>

#include "framework/core/error.h"

namespace fct::models {
namespace {

int64_t parameter_count(torch::nn::Module& module) {
  int64_t count = 0;
  for (const auto& p : module.parameters()) count += p.numel();
  return count;
}

// Linear (weights + bias) + BatchNorm (scale + shift).
int64_t block(int64_t in, int64_t out) {
  return in * out + out + 2 * out;
}

TEST(Transformation, ShapesAndParameterCountOfTheProtocolArchitecture) {
  TransformationSpec spec{/*old_dim=*/16, /*side_dim=*/8, /*new_dim=*/12, /*inner_width=*/64, true};
  Transformation h(spec);
  const auto out = h->forward(torch::randn({5, 16}), torch::randn({5, 8}));
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{5, 12}));
  const int64_t expected = block(16, 32) + block(32, 24) +  // old branch d -> 2d -> 2 d_new
                           block(8, 16) + block(16, 24) +   // side branch s -> 2s -> 2 d_new
                           block(48, 64) + block(64, 64) +  // mixer 4 d_new -> W -> W
                           64 * 12 + 12;                    // -> d_new, linear with bias
  EXPECT_EQ(parameter_count(*h), expected);
}

TEST(Transformation, WithoutSideInfoFeedsTheOldEmbeddingToBothBranches) {
  TransformationSpec spec{16, 8, 12, 32, false};
  Transformation h(spec);
  h->eval();
  EXPECT_EQ(h->spec().side_dim, 16);  // the side branch takes φ_old
  const auto old = torch::randn({4, 16});
  const auto a = h->forward(old, torch::Tensor());
  const auto b = h->forward(old, torch::randn({4, 3}));  // whatever is passed is ignored
  EXPECT_TRUE(a.equal(b));
}

TEST(Transformation, WithSideInfoTheOutputDependsOnIt) {
  Transformation h(TransformationSpec{16, 8, 12, 32, true});
  h->eval();
  const auto old = torch::randn({4, 16});
  EXPECT_FALSE(h->forward(old, torch::randn({4, 8})).equal(h->forward(old, torch::randn({4, 8}))));
  EXPECT_THROW(h->forward(old, torch::Tensor()), Error);
  EXPECT_THROW(h->forward(old, torch::randn({4, 7})), Error);
  EXPECT_THROW(h->forward(torch::randn({4, 15}), torch::randn({4, 8})), Error);
}

TEST(Transformation, FrozenBatchNormKeepsItsStatisticsWhileTheRestTrains) {
  Transformation h(TransformationSpec{4, 4, 4, 8, true});
  h->train();
  h->forward(torch::randn({8, 4}), torch::randn({8, 4}));  // moves running statistics
  std::vector<torch::Tensor> before;
  for (const auto& b : h->buffers()) before.push_back(b.clone());
  h->freeze_batchnorm();
  EXPECT_TRUE(h->is_training());
  h->forward(torch::randn({8, 4}) * 5 + 3, torch::randn({8, 4}));
  const auto after = h->buffers();
  ASSERT_EQ(before.size(), after.size());
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(before[i].equal(after[i])) << i;
}

}  // namespace
}  // namespace fct::models
