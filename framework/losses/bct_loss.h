// The BCT influence loss (Shen et al. 2020, "Towards backward-compatible representation
// learning"): the new model is trained with its own classifier and, through the frozen classifier
// of the old model, to keep its embeddings usable by the old model's decision boundaries.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "framework/losses/classification_loss.h"

namespace fct::losses {

class BctInfluenceLoss : public ClassificationLoss {
 public:
  // `old_classifier` [C_new, d]: row c classifies new-label c. Rows of classes the old model
  // never saw are the mean old-model embedding of that class (see extend_old_classifier).
  BctInfluenceLoss(torch::Tensor old_classifier, double influence_weight, double label_smoothing);

  std::string name() const override { return "bct_influence"; }
  // CE(new logits) + λ · CE(embedding · old_classifierᵀ), both label-smoothed, means over the
  // batch.
  torch::Tensor forward(const LossInputs& inputs) override;

  const torch::Tensor& old_classifier() const { return old_classifier_; }

 private:
  torch::Tensor old_classifier_;
  double influence_weight_;
  double label_smoothing_;
};

// The old classifier over the new label space: `old_weight` [C_old, d] classifies the new labels
// `old_classes` (old output j is new label old_classes[j]); every other new label c gets
// `class_means[c]` (the mean old-model embedding of class c, [C_new, d]).
torch::Tensor extend_old_classifier(const torch::Tensor& old_weight,
                                    const std::vector<int64_t>& old_classes,
                                    const torch::Tensor& class_means);

// The old model's classes (dataset classes, in its classifier's order) as labels of the new
// model, whose label i is dataset class new_classes[i] of the sorted `new_classes` (empty: every
// class, label = class). Throws fct::Error for an old class the new model does not see: BCT needs
// the old classes inside the new label space.
std::vector<int64_t> old_classes_as_new_labels(const std::vector<int64_t>& old_classes,
                                               std::vector<int64_t> new_classes);

}  // namespace fct::losses
