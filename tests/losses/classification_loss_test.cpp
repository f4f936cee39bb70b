#include "framework/losses/classification_loss.h"

#include <gtest/gtest.h>

#include <cmath>

namespace fct::losses {
namespace {

TEST(CrossEntropyLoss, MatchesHandComputedValueWithoutSmoothing) {
  // logits [1, 2, 3], label 2: -log(e^3 / (e^1 + e^2 + e^3)) = 0.40760596
  const auto logits = torch::tensor({{1.0f, 2.0f, 3.0f}});
  const auto labels = torch::tensor({2}, torch::kLong);
  CrossEntropyLoss loss(0.0);
  EXPECT_NEAR(loss.forward({{}, logits, labels, {}}).item<double>(), 0.40760596, 1e-6);
}

TEST(CrossEntropyLoss, MatchesHandComputedValueWithSmoothing) {
  // log-probs of [1, 2, 3]: [-2.40760596, -1.40760596, -0.40760596]; s = 0.1, C = 3:
  // 0.9 * 0.40760596 + 0.1 * mean(2.40760596, 1.40760596, 0.40760596) = 0.50760596
  const auto logits = torch::tensor({{1.0f, 2.0f, 3.0f}});
  const auto labels = torch::tensor({2}, torch::kLong);
  CrossEntropyLoss loss(0.1);
  EXPECT_NEAR(loss.forward({{}, logits, labels, {}}).item<double>(), 0.50760596, 1e-6);
}

TEST(CrossEntropyLoss, AgreesWithLibTorch) {
  torch::manual_seed(3);
  const auto logits = torch::randn({16, 7});
  const auto labels = torch::randint(0, 7, {16}, torch::kLong);
  const auto expected = torch::nn::functional::cross_entropy(
      logits, labels, torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(0.2));
  EXPECT_NEAR(label_smoothed_cross_entropy(logits, labels, 0.2).item<double>(),
              expected.item<double>(), 1e-5);
}

TEST(LossRegistry, UnknownNameSuggestsTheClosest) {
  config::LossConfig config;
  config.name = "cross_entropi";
  try {
    make_classification_loss(config);
    FAIL() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'cross_entropy'"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace fct::losses
