#include "framework/losses/bct_loss.h"

#include <algorithm>

#include "framework/core/error.h"
#include "framework/losses/classification_loss.h"

namespace fct::losses {

BctInfluenceLoss::BctInfluenceLoss(torch::Tensor old_classifier, double influence_weight,
                                   double label_smoothing)
    : old_classifier_(old_classifier.detach()),
      influence_weight_(influence_weight),
      label_smoothing_(label_smoothing) {
  if (!old_classifier_.defined() || old_classifier_.dim() != 2)
    throw Error("BCT influence loss: the old classifier must be a matrix [classes, d]");
}

torch::Tensor BctInfluenceLoss::forward(const LossInputs& inputs) {
  const torch::Tensor& embedding = inputs.embedding;
  const torch::Tensor& logits = inputs.logits;
  const torch::Tensor& labels = inputs.labels;
  if (embedding.size(1) != old_classifier_.size(1))
    throw Error("BCT influence loss: embedding dimension " + std::to_string(embedding.size(1)) +
                " differs from the old classifier's " + std::to_string(old_classifier_.size(1)));
  // The frozen classifier follows the model to its device once.
  if (old_classifier_.device() != embedding.device())
    old_classifier_ = old_classifier_.to(embedding.device());
  const auto new_term = label_smoothed_cross_entropy(logits, labels, label_smoothing_);
  const auto old_logits = embedding.matmul(old_classifier_.t());
  const auto influence = label_smoothed_cross_entropy(old_logits, labels, label_smoothing_);
  return new_term + influence_weight_ * influence;
}

torch::Tensor extend_old_classifier(const torch::Tensor& old_weight,
                                    const std::vector<int64_t>& old_classes,
                                    const torch::Tensor& class_means) {
  if (old_weight.dim() != 2 || class_means.dim() != 2 || old_weight.size(1) != class_means.size(1))
    throw Error("BCT: old classifier [" + std::to_string(old_weight.size(0)) + ", " +
                std::to_string(old_weight.size(1)) + "] and class means do not fit together");
  if (static_cast<int64_t>(old_classes.size()) != old_weight.size(0))
    throw Error("BCT: the old classifier has " + std::to_string(old_weight.size(0)) +
                " outputs but " + std::to_string(old_classes.size()) + " old classes are named");
  auto extended = class_means.detach().clone();
  for (std::size_t j = 0; j < old_classes.size(); ++j) {
    const int64_t c = old_classes[j];
    if (c < 0 || c >= extended.size(0))
      throw Error("BCT: old class " + std::to_string(c) + " is outside the new label space [0, " +
                  std::to_string(extended.size(0)) + ")");
    extended[c].copy_(old_weight[static_cast<int64_t>(j)].detach());
  }
  return extended;
}

std::vector<int64_t> old_classes_as_new_labels(const std::vector<int64_t>& old_classes,
                                               std::vector<int64_t> new_classes) {
  if (new_classes.empty()) return old_classes;
  std::sort(new_classes.begin(), new_classes.end());
  std::vector<int64_t> labels;
  labels.reserve(old_classes.size());
  for (const int64_t c : old_classes) {
    const auto found = std::lower_bound(new_classes.begin(), new_classes.end(), c);
    if (found == new_classes.end() || *found != c)
      throw Error("BCT: the old model's class " + std::to_string(c) +
                  " is not among the BCT model's classes; BCT needs every old class in the new "
                  "label space");
    labels.push_back(static_cast<int64_t>(found - new_classes.begin()));
  }
  return labels;
}

}  // namespace fct::losses
