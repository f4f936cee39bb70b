// Margin softmax losses: hand-computed logits for NormFace, CosFace and ArcFace on unit vectors at
// known angles, the ArcFace fallback past π − m, finite gradients at cos θ = ±1, defaults and
// registry names, and that a loss without the classifier says so.
#include "framework/losses/margin_softmax_loss.h"

#include <gtest/gtest.h>

#include <cmath>

#include "framework/core/error.h"

namespace fct::losses {
namespace {

config::LossConfig margins(const std::string& name, double scale, double margin) {
  config::LossConfig c;
  c.name = name;
  c.label_smoothing = 0.0;
  c.scale = scale;
  c.margin = margin;
  return c;
}

// Embedding at angle `theta` from class 0's row (e_x), class 1's row along e_y.
struct Geometry {
  torch::Tensor embedding, weight, labels;
  explicit Geometry(double theta) {
    embedding = torch::tensor(
        {{static_cast<float>(3 * std::cos(theta)), static_cast<float>(3 * std::sin(theta))}});
    weight = torch::tensor({{2.0f, 0.0f}, {0.0f, 0.5f}});  // norms do not matter
    labels = torch::tensor({0}, torch::kLong);
  }
};

TEST(MarginSoftmaxLoss, LogitsMatchTheFormulas) {
  const double theta = 0.6, s = 10;
  const Geometry g(theta);
  const auto at = [&](MarginKind kind, double m) {
    MarginSoftmaxLoss loss(kind, margins("", s, m));
    return loss.margin_logits(g.embedding, g.weight, g.labels);
  };
  const auto normface = at(MarginKind::kNormFace, 0.0);
  EXPECT_NEAR(normface[0][0].item<double>(), s * std::cos(theta), 1e-4);
  EXPECT_NEAR(normface[0][1].item<double>(), s * std::sin(theta), 1e-4);  // cos(π/2 − θ)
  const auto cosface = at(MarginKind::kCosFace, 0.35);
  EXPECT_NEAR(cosface[0][0].item<double>(), s * (std::cos(theta) - 0.35), 1e-4);
  EXPECT_NEAR(cosface[0][1].item<double>(), s * std::sin(theta), 1e-4);  // only the target moves
  const auto arcface = at(MarginKind::kArcFace, 0.5);
  EXPECT_NEAR(arcface[0][0].item<double>(), s * std::cos(theta + 0.5), 1e-4);
  // Past π − m the ArcFace target falls back to cos θ − m sin m.
  const Geometry far(2.9);
  MarginSoftmaxLoss arc(MarginKind::kArcFace, margins("", s, 0.5));
  EXPECT_NEAR(arc.margin_logits(far.embedding, far.weight, far.labels)[0][0].item<double>(),
              s * (std::cos(2.9) - 0.5 * std::sin(0.5)), 1e-4);
}

TEST(MarginSoftmaxLoss, LossIsCrossEntropyOfTheMarginLogitsWithFiniteGradients) {
  torch::manual_seed(1);
  for (const auto kind : {MarginKind::kNormFace, MarginKind::kCosFace, MarginKind::kArcFace}) {
    MarginSoftmaxLoss loss(kind, margins("", 0, kind == MarginKind::kNormFace ? 0.0 : -1.0));
    auto embedding = torch::randn({6, 4}, torch::requires_grad());
    auto weight = torch::randn({3, 4}, torch::requires_grad());
    // One embedding exactly on its class row (cos θ = 1), one exactly opposite (cos θ = −1).
    {
      torch::NoGradGuard no_grad;
      embedding[0].copy_(weight[1]);
      embedding[1].copy_(-weight[2]);
    }
    const auto labels = torch::tensor({1, 2, 0, 1, 2, 0}, torch::kLong);
    const auto value = loss.forward({embedding, embedding.matmul(weight.t()), labels, weight});
    const auto expected =
        torch::nn::functional::cross_entropy(loss.margin_logits(embedding, weight, labels), labels);
    EXPECT_NEAR(value.item<double>(), expected.item<double>(), 1e-5) << loss.name();
    value.backward();
    EXPECT_TRUE(torch::isfinite(embedding.grad()).all().item<bool>()) << loss.name();
    EXPECT_TRUE(torch::isfinite(weight.grad()).all().item<bool>()) << loss.name();
  }
}

TEST(MarginSoftmaxLoss, DefaultsRegistryAndMissingClassifier) {
  EXPECT_DOUBLE_EQ(MarginSoftmaxLoss(MarginKind::kArcFace, margins("", 0, -1)).margin(), 0.5);
  EXPECT_DOUBLE_EQ(MarginSoftmaxLoss(MarginKind::kCosFace, margins("", 0, -1)).margin(), 0.35);
  EXPECT_DOUBLE_EQ(MarginSoftmaxLoss(MarginKind::kNormFace, margins("", 0, -1)).scale(), 16.0);
  EXPECT_THROW(MarginSoftmaxLoss(MarginKind::kNormFace, margins("", 0, 0.2)), ConfigError);
  for (const std::string name : {"cross_entropy", "normface", "cosface", "arcface"}) {
    const auto loss = make_classification_loss(margins(name, 0, -1));
    EXPECT_EQ(loss->name(), name);
  }
  const auto arcface = make_classification_loss(margins("arcface", 0, -1));
  const auto e = torch::randn({2, 4});
  EXPECT_THROW(arcface->forward({e, torch::randn({2, 3}), torch::tensor({0, 1}, torch::kLong), {}}),
               Error);
}

}  // namespace
}  // namespace fct::losses
