#include "framework/losses/margin_softmax_loss.h"

#include <cmath>

#include "framework/core/error.h"

namespace fct::losses {

MarginSoftmaxLoss::MarginSoftmaxLoss(MarginKind kind, const config::LossConfig& config)
    : kind_(kind), label_smoothing_(config.label_smoothing) {
  // The published defaults for faces: NormFace's learnt scale settles near 16; CosFace and ArcFace
  // use s = 30 to 64 (30 trains more reliably on small models).
  const double default_scale = kind == MarginKind::kNormFace ? 16.0 : 30.0;
  const double default_margin = kind == MarginKind::kCosFace   ? 0.35
                                : kind == MarginKind::kArcFace ? 0.5
                                                               : 0.0;
  scale_ = config.scale > 0 ? config.scale : default_scale;
  margin_ = config.margin >= 0 ? config.margin : default_margin;
  if (kind == MarginKind::kNormFace && margin_ != 0.0)
    throw ConfigError("loss.margin: normface has no margin (use cosface or arcface)");
}

std::string MarginSoftmaxLoss::name() const {
  switch (kind_) {
    case MarginKind::kNormFace:
      return "normface";
    case MarginKind::kCosFace:
      return "cosface";
    case MarginKind::kArcFace:
      return "arcface";
  }
  return "margin";
}

torch::Tensor MarginSoftmaxLoss::margin_logits(const torch::Tensor& embedding,
                                               const torch::Tensor& weight,
                                               const torch::Tensor& labels) const {
  if (!weight.defined() || weight.dim() != 2 || weight.size(1) != embedding.size(1))
    throw Error(name() + " loss: needs the classifier weight [classes, " +
                std::to_string(embedding.size(1)) + "]");
  const auto cosine = scores({embedding, torch::Tensor(), labels, weight});
  const auto target = cosine.gather(1, labels.unsqueeze(1));
  torch::Tensor adjusted = target;
  if (kind_ == MarginKind::kCosFace) {
    adjusted = target - margin_;
  } else if (kind_ == MarginKind::kArcFace) {
    // cos(θ + m) = cos θ cos m − sin θ sin m; sin θ from cos θ, clamped away from 0 so the
    // gradient stays finite at cos θ = ±1.
    const auto sine = (1.0 - target * target).clamp_min(1e-7).sqrt();
    const auto with_margin = target * std::cos(margin_) - sine * std::sin(margin_);
    const double threshold = std::cos(M_PI - margin_);
    adjusted = torch::where(target > threshold, with_margin, target - margin_ * std::sin(margin_));
  }
  return scale_ * cosine.scatter(1, labels.unsqueeze(1), adjusted);
}

torch::Tensor MarginSoftmaxLoss::scores(const LossInputs& inputs) const {
  namespace F = torch::nn::functional;
  return F::normalize(inputs.embedding, F::NormalizeFuncOptions().dim(1))
      .matmul(F::normalize(inputs.classifier_weight, F::NormalizeFuncOptions().dim(1)).t());
}

torch::Tensor MarginSoftmaxLoss::forward(const LossInputs& inputs) {
  return label_smoothed_cross_entropy(
      margin_logits(inputs.embedding, inputs.classifier_weight, inputs.labels), inputs.labels,
      label_smoothing_);
}

}  // namespace fct::losses
