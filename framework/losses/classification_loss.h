// ClassificationLoss: the seam for the supervised training losses of embedding models, selected
// by name from YAML. A loss sees the embedding, the classifier logits and the labels, so both
// softmax losses (on logits) and margin losses (on the embedding) fit behind it.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "framework/config/experiment_config.h"

namespace fct::losses {

// What a loss may look at: softmax losses use the logits, margin losses the cosines between the
// embedding and the classifier's rows.
struct LossInputs {
  torch::Tensor embedding;          // [B, d]
  torch::Tensor logits;             // [B, C] = embedding · classifier_weightᵀ
  torch::Tensor labels;             // int64 [B]
  torch::Tensor classifier_weight;  // [C, d]; may be undefined for losses that do not need it
};

class ClassificationLoss {
 public:
  virtual ~ClassificationLoss() = default;
  virtual std::string name() const = 0;
  // Mean loss over the batch.
  virtual torch::Tensor forward(const LossInputs& inputs) = 0;
  // Class scores whose argmax is the prediction: the logits, or what the loss compares (cosines
  // for margin losses, whose plain logits e·w favour classes with long weight rows).
  virtual torch::Tensor scores(const LossInputs& inputs) const { return inputs.logits; }
};

// Softmax cross-entropy with label smoothing: target = (1 - s) * one_hot + s / C.
class CrossEntropyLoss : public ClassificationLoss {
 public:
  explicit CrossEntropyLoss(double label_smoothing) : label_smoothing_(label_smoothing) {}
  std::string name() const override { return "cross_entropy"; }
  torch::Tensor forward(const LossInputs& inputs) override;

 private:
  double label_smoothing_;
};

// Label-smoothed cross-entropy on logits: shared by every loss that needs it (BCT influence,
// FastFill's discriminative term).
torch::Tensor label_smoothed_cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels,
                                           double label_smoothing);
// The same per sample ([B]), before the batch mean.
torch::Tensor label_smoothed_cross_entropy_per_sample(const torch::Tensor& logits,
                                                      const torch::Tensor& labels,
                                                      double label_smoothing);

std::unique_ptr<ClassificationLoss> make_classification_loss(const config::LossConfig& config);
std::vector<std::string> classification_loss_names();

}  // namespace fct::losses
