// NT-Xent against values computed by hand from its definition.
#include "framework/losses/contrastive_loss.h"

#include <gtest/gtest.h>

#include <cmath>

#include "framework/core/error.h"

namespace fct::losses {
namespace {

TEST(NtXent, EqualPairsOrthogonalNegatives) {
  // Rows 0,1 = view 0 of samples 0,1; rows 2,3 = view 1. Every anchor: positive cos 1, two
  // negatives cos 0 -> loss = log(1 + 2 e^{-1/τ}).
  const auto z = torch::tensor({{1.f, 0.f}, {0.f, 1.f}, {1.f, 0.f}, {0.f, 1.f}});
  const double tau = 0.5;
  EXPECT_NEAR(nt_xent_loss(z, tau).item<double>(), std::log(1 + 2 * std::exp(-1 / tau)), 1e-6);
  EXPECT_DOUBLE_EQ(nt_xent_pair_accuracy(z), 1.0);
}

TEST(NtXent, AsymmetricCaseAndScaleInvariance) {
  // Unnormalised rows: the loss uses cosine similarity, so scaling a row changes nothing.
  const auto z = torch::tensor({{2.f, 0.f}, {1.f, 1.f}, {0.f, 3.f}, {1.f, 0.f}});
  const double c = 1 / std::sqrt(2.0);  // cos 45°
  const double tau = 1.0;
  // Positives: 0<->2 (cos 0), 1<->3 (cos c). Row sims to the others, positive last:
  const double row0 = std::log(std::exp(c) + std::exp(1.0) + std::exp(0.0)) - 0.0;
  const double row1 = std::log(3 * std::exp(c)) - c;
  const double row2 = std::log(1 + std::exp(c) + 1) - 0.0;
  const double row3 = std::log(std::exp(1.0) + 1 + std::exp(c)) - c;
  EXPECT_NEAR(nt_xent_loss(z, tau).item<double>(), (row0 + row1 + row2 + row3) / 4, 1e-5);
  // Every anchor's nearest other is a negative: rows 0 and 3 pick each other (cos 1), row 2
  // picks row 1, and row 1 sees a three-way tie that argmax breaks towards row 0.
  EXPECT_DOUBLE_EQ(nt_xent_pair_accuracy(z), 0.0);
}

TEST(NtXent, TemperatureSharpens) {
  const auto z = torch::tensor({{1.f, 0.1f}, {0.2f, 1.f}, {1.f, 0.f}, {0.f, 1.f}});
  EXPECT_LT(nt_xent_loss(z, 0.1).item<double>(), nt_xent_loss(z, 1.0).item<double>());
}

TEST(NtXent, GradientFlowsAndBadInputIsRejected) {
  auto z = torch::randn({6, 4}, torch::requires_grad());
  nt_xent_loss(z, 0.2).backward();
  EXPECT_TRUE(z.grad().defined());
  EXPECT_GT(z.grad().abs().sum().item<double>(), 0);
  EXPECT_THROW(nt_xent_loss(torch::randn({3, 4}), 0.2), Error);  // odd number of rows
  EXPECT_THROW(nt_xent_loss(torch::randn({4, 4}), 0.0), Error);
}

}  // namespace
}  // namespace fct::losses
