// FastFill's uncertainty loss against values computed by hand (the derivation is in the comments),
// its gradients' directions, and its refusals.
#include "framework/losses/uncertainty_loss.h"

#include <gtest/gtest.h>

#include <cmath>

#include "framework/core/error.h"

namespace fct::losses {
namespace {

// Two items, d = 2, C = 2, identity classifier:
//   item 1: h = [1, 0], target [0, 0], label 0, σ = 0     -> MSE = (1 + 0) / 2 = 0.5
//   item 2: h = [0, 2], target [0, 1], label 1, σ = ln 2  -> MSE = (0 + 1) / 2 = 0.5
// logits = h (identity W). CE with smoothing s = 0.1: (1 − s)·nll + s·mean_c(−log p_c)
//   item 1: log-sum-exp(1, 0) = ln(1 + e) = 1.3132617; −log p = [0.3132617, 1.3132617]
//           CE = 0.9 · 0.3132617 + 0.1 · 0.8132617 = 0.3632617
//   item 2: log-sum-exp(0, 2) = ln(1 + e²) = 2.1269280; −log p = [2.1269280, 0.1269280]
//           CE = 0.9 · 0.1269280 + 0.1 · 1.1269280 = 0.2269280
// ℓ = MSE + 1 · CE = [0.8632617, 0.7269280]
// loss = mean(½ e^{−σ} ℓ + 0.5 σ) = (½ · 0.8632617 + ¼ · 0.7269280 + 0.5 ln 2) / 2 = 0.4799682
struct Example {
  torch::Tensor prediction = torch::tensor({{1.0f, 0.0f}, {0.0f, 2.0f}});
  torch::Tensor target = torch::tensor({{0.0f, 0.0f}, {0.0f, 1.0f}});
  torch::Tensor sigma = torch::tensor({0.0f, static_cast<float>(std::log(2.0))});
  torch::Tensor classifier = torch::eye(2);
  torch::Tensor labels = torch::tensor({0, 1}, torch::kInt64);
};

TEST(UncertaintyLoss, MatchesHandComputedValues) {
  Example e;
  const auto terms = uncertainty_loss(e.prediction, e.target, e.sigma, e.classifier, e.labels, {});
  EXPECT_NEAR(terms.loss.item<double>(), 0.4799682, 1e-6);
  EXPECT_NEAR(terms.mse[0].item<double>(), 0.5, 1e-7);
  EXPECT_NEAR(terms.mse[1].item<double>(), 0.5, 1e-7);
  EXPECT_NEAR(terms.discriminative[0].item<double>(), 0.3632617, 1e-6);
  EXPECT_NEAR(terms.discriminative[1].item<double>(), 0.2269280, 1e-6);
}

TEST(UncertaintyLoss, WithoutTheDiscriminativeTermIsTheGaussianNll) {
  // μ_disc = 0: ℓ = MSE = 0.5 each; (½ · 0.5 + ¼ · 0.5 + 0.5 ln 2) / 2 = 0.3607868.
  Example e;
  UncertaintyLossWeights weights;
  weights.mu_disc = 0.0;
  const auto terms =
      uncertainty_loss(e.prediction, e.target, e.sigma, torch::Tensor(), e.labels, weights);
  EXPECT_NEAR(terms.loss.item<double>(), 0.3607868, 1e-6);
  EXPECT_EQ(terms.discriminative.abs().sum().item<double>(), 0.0);
}

TEST(UncertaintyLoss, SigmaGrowsWhereTheErrorIsLargeAndTheClassifierStaysFrozen) {
  // d loss / d σ_i = (−½ e^{−σ_i} ℓ_i + μ_unc) / B: negative (σ should grow) exactly when ℓ_i > 1
  // at σ = 0. Item 1: ℓ = 0.5 + CE > 1 only with a large error.
  auto prediction = torch::tensor({{3.0f, 0.0f}, {0.0f, 1.0f}});
  auto target = torch::tensor({{0.0f, 0.0f}, {0.0f, 1.0f}});
  auto sigma = torch::zeros({2}, torch::requires_grad());
  auto classifier = torch::eye(2).requires_grad_(true);
  const auto labels = torch::tensor({0, 1}, torch::kInt64);
  uncertainty_loss(prediction, target, sigma, classifier, labels, {}).loss.backward();
  EXPECT_LT(sigma.grad()[0].item<double>(), 0.0);  // large error: σ pushed up
  EXPECT_GT(sigma.grad()[1].item<double>(), 0.0);  // exact item: σ pushed down
  EXPECT_FALSE(classifier.grad().defined());
}

TEST(UncertaintyLoss, RefusesMismatchedShapesAndForeignLabels) {
  Example e;
  EXPECT_THROW(
      uncertainty_loss(e.prediction, e.target.narrow(1, 0, 1), e.sigma, e.classifier, e.labels, {}),
      Error);
  EXPECT_THROW(
      uncertainty_loss(e.prediction, e.target, torch::zeros({3}), e.classifier, e.labels, {}),
      Error);
  EXPECT_THROW(uncertainty_loss(e.prediction, e.target, e.sigma, e.classifier,
                                torch::tensor({0, 2}, torch::kInt64), {}),
               Error);
  EXPECT_THROW(uncertainty_loss(e.prediction, e.target, e.sigma, torch::eye(3), e.labels, {}),
               Error);
}

}  // namespace
}  // namespace fct::losses
