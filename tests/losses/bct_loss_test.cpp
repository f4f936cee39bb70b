// The BCT influence loss and the extended old classifier, against hand-computed values.
#include "framework/losses/bct_loss.h"

#include <gtest/gtest.h>

#include <cmath>

#include "framework/core/error.h"

namespace fct::losses {
namespace {

TEST(BctInfluenceLoss, NewTermPlusWeightedOldTerm) {
  const auto embedding = torch::tensor({{1.f, 2.f}});
  const auto logits = torch::tensor({{0.5f, -0.5f}});
  const auto labels = torch::tensor({0}, torch::kInt64);
  BctInfluenceLoss loss(torch::eye(2), /*influence_weight=*/0.5, /*label_smoothing=*/0.0);
  // New: -log softmax([0.5, -0.5])[0] = log(1 + e^-1). Old logits = [1, 2]: log(1 + e).
  const double expected = std::log(1 + std::exp(-1.0)) + 0.5 * std::log(1 + std::exp(1.0));
  EXPECT_NEAR(loss.forward({embedding, logits, labels, {}}).item<double>(), expected, 1e-6);
  EXPECT_EQ(loss.name(), "bct_influence");
}

TEST(BctInfluenceLoss, LabelSmoothingAppliesToBothTerms) {
  const auto embedding = torch::tensor({{0.f, 0.f}});  // old logits all zero: CE = log 2
  const auto logits = torch::tensor({{0.f, 0.f}});
  const auto labels = torch::tensor({1}, torch::kInt64);
  BctInfluenceLoss loss(torch::eye(2), 1.0, 0.3);
  EXPECT_NEAR(loss.forward({embedding, logits, labels, {}}).item<double>(), 2 * std::log(2.0),
              1e-6);
}

TEST(BctInfluenceLoss, ZeroWeightIsPlainCrossEntropyAndOldClassifierGetsNoGradient) {
  auto embedding = torch::tensor({{1.f, -1.f}}, torch::requires_grad());
  const auto logits = torch::tensor({{2.f, 0.f, 1.f}});
  const auto labels = torch::tensor({2}, torch::kInt64);
  auto old_classifier = torch::ones({3, 2}, torch::requires_grad());
  BctInfluenceLoss plain(old_classifier, 0.0, 0.0);
  const double ce = std::log(std::exp(2.0) + 1 + std::exp(1.0)) - 1.0;
  EXPECT_NEAR(plain.forward({embedding, logits, labels, {}}).item<double>(), ce, 1e-6);
  BctInfluenceLoss loss(old_classifier, 1.0, 0.0);
  loss.forward({embedding, logits, labels, {}}).backward();
  EXPECT_TRUE(embedding.grad().defined());
  EXPECT_FALSE(old_classifier.grad().defined());  // frozen
}

TEST(ExtendOldClassifier, OldRowsWhereTheOldModelHasThemMeansElsewhere) {
  const auto old_weight = torch::tensor({{1.f, 1.f}, {2.f, 2.f}});  // old outputs: labels 2 and 0
  const auto means = torch::tensor({{9.f, 9.f}, {5.f, 6.f}, {8.f, 8.f}});
  const auto extended = extend_old_classifier(old_weight, {2, 0}, means);
  EXPECT_TRUE(extended.equal(torch::tensor({{2.f, 2.f}, {5.f, 6.f}, {1.f, 1.f}})));
  EXPECT_THROW(extend_old_classifier(old_weight, {2}, means), Error);
  EXPECT_THROW(extend_old_classifier(old_weight, {2, 3}, means), Error);
}

TEST(OldClassesAsNewLabels, PositionsInTheNewModelsSortedClasses) {
  // Every class seen by the new model: labels are the classes.
  EXPECT_EQ(old_classes_as_new_labels({3, 1}, {}), (std::vector<int64_t>{3, 1}));
  // The new model sees classes {1, 3, 5, 7} (listed unsorted): class 3 is its label 1.
  EXPECT_EQ(old_classes_as_new_labels({3, 1}, {7, 1, 5, 3}), (std::vector<int64_t>{1, 0}));
  try {
    old_classes_as_new_labels({2}, {1, 3});
    ADD_FAILURE() << "an old class outside the new label space was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("class 2"), std::string::npos) << e.what();
  }
}

TEST(TransformationLoss, MeanSquaredErrorOverElements) {
  // h is trained with MSE averaged over every element (PyTorch's MSELoss, as the official code).
  const auto prediction = torch::tensor({{1.f, 2.f}, {0.f, 0.f}});
  const auto target = torch::tensor({{0.f, 0.f}, {0.f, 2.f}});
  EXPECT_NEAR(torch::mse_loss(prediction, target).item<double>(), (1 + 4 + 0 + 4) / 4.0, 1e-6);
}

}  // namespace
}  // namespace fct::losses
