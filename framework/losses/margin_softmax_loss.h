// Margin softmax losses for face recognition, the cross-loss axis of FCT's compatibility studies:
// the logits are the cosines between the normalised embedding and the normalised classifier rows,
// scaled by s, with a margin on the target class:
//   NormFace (Wang et al. 2017)  s·cos θ_y
//   CosFace  (Wang et al. 2018)  s·(cos θ_y − m)
//   ArcFace  (Deng et al. 2019)  s·cos(θ_y + m), falling back to s·(cos θ_y − m·sin m) once
//                                θ_y + m would pass π (where cos(θ + m) stops decreasing)
// then label-smoothed cross-entropy. They need LossInputs::classifier_weight.
#pragma once

#include "framework/config/experiment_config.h"
#include "framework/losses/classification_loss.h"

namespace fct::losses {

enum class MarginKind { kNormFace, kCosFace, kArcFace };

class MarginSoftmaxLoss : public ClassificationLoss {
 public:
  // config.scale 0 and config.margin < 0 select the kind's defaults.
  MarginSoftmaxLoss(MarginKind kind, const config::LossConfig& config);

  std::string name() const override;
  torch::Tensor forward(const LossInputs& inputs) override;
  torch::Tensor scores(const LossInputs& inputs) const override;  // cos θ, [B, C]

  double scale() const { return scale_; }
  double margin() const { return margin_; }
  // The scaled logits with the margin applied to each sample's label, [B, C].
  torch::Tensor margin_logits(const torch::Tensor& embedding, const torch::Tensor& weight,
                              const torch::Tensor& labels) const;

 private:
  MarginKind kind_;
  double scale_;
  double margin_;
  double label_smoothing_;
};

}  // namespace fct::losses
