#include "framework/losses/classification_loss.h"

#include <functional>

#include "framework/core/registry.h"
#include "framework/losses/margin_softmax_loss.h"

namespace fct::losses {

torch::Tensor label_smoothed_cross_entropy_per_sample(const torch::Tensor& logits,
                                                      const torch::Tensor& labels,
                                                      double label_smoothing) {
  const auto log_probs = torch::log_softmax(logits, /*dim=*/1);
  const auto nll = -log_probs.gather(1, labels.unsqueeze(1)).squeeze(1);
  if (label_smoothing == 0.0) return nll;
  const auto uniform = -log_probs.mean(1);
  return (1.0 - label_smoothing) * nll + label_smoothing * uniform;
}

torch::Tensor label_smoothed_cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels,
                                           double label_smoothing) {
  return label_smoothed_cross_entropy_per_sample(logits, labels, label_smoothing).mean();
}

torch::Tensor CrossEntropyLoss::forward(const LossInputs& inputs) {
  return label_smoothed_cross_entropy(inputs.logits, inputs.labels, label_smoothing_);
}

namespace {

using LossFactory = std::function<std::unique_ptr<ClassificationLoss>(const config::LossConfig&)>;

const Registry<LossFactory>& loss_registry() {
  static const Registry<LossFactory> registry(
      "loss", {
                  {"cross_entropy",
                   [](const config::LossConfig& c) -> std::unique_ptr<ClassificationLoss> {
                     return std::make_unique<CrossEntropyLoss>(c.label_smoothing);
                   }},
                  {"normface",
                   [](const config::LossConfig& c) -> std::unique_ptr<ClassificationLoss> {
                     return std::make_unique<MarginSoftmaxLoss>(MarginKind::kNormFace, c);
                   }},
                  {"cosface",
                   [](const config::LossConfig& c) -> std::unique_ptr<ClassificationLoss> {
                     return std::make_unique<MarginSoftmaxLoss>(MarginKind::kCosFace, c);
                   }},
                  {"arcface",
                   [](const config::LossConfig& c) -> std::unique_ptr<ClassificationLoss> {
                     return std::make_unique<MarginSoftmaxLoss>(MarginKind::kArcFace, c);
                   }},
              });
  return registry;
}

}  // namespace

std::unique_ptr<ClassificationLoss> make_classification_loss(const config::LossConfig& config) {
  return loss_registry().get(config.name)(config);
}

std::vector<std::string> classification_loss_names() {
  return loss_registry().names();
}

}  // namespace fct::losses
