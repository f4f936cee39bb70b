#include "framework/losses/uncertainty_loss.h"

#include <string>

#include "framework/core/error.h"
#include "framework/losses/classification_loss.h"

namespace fct::losses {

UncertaintyLossTerms uncertainty_loss(const torch::Tensor& prediction, const torch::Tensor& target,
                                      const torch::Tensor& sigma,
                                      const torch::Tensor& new_classifier,
                                      const torch::Tensor& labels,
                                      const UncertaintyLossWeights& weights) {
  if (prediction.dim() != 2 || !prediction.sizes().equals(target.sizes()))
    throw Error("uncertainty loss: prediction and target must be [B, d] of the same shape");
  const int64_t batch = prediction.size(0);
  const auto sigma_flat = sigma.reshape({-1});
  if (sigma_flat.size(0) != batch)
    throw Error("uncertainty loss: " + std::to_string(sigma_flat.size(0)) + " σ values for " +
                std::to_string(batch) + " items");
  UncertaintyLossTerms terms;
  terms.mse = (prediction - target).pow(2).mean(1);
  torch::Tensor per_item = terms.mse;
  if (weights.mu_disc != 0.0) {
    if (new_classifier.dim() != 2 || new_classifier.size(1) != prediction.size(1))
      throw Error("uncertainty loss: the new classifier must be [C, " +
                  std::to_string(prediction.size(1)) + "]");
    if (labels.dim() != 1 || labels.size(0) != batch)
      throw Error("uncertainty loss: expected " + std::to_string(batch) + " labels");
    if (batch > 0) {
      const auto low = labels.min().item<int64_t>(), high = labels.max().item<int64_t>();
      if (low < 0 || high >= new_classifier.size(0))
        throw Error("uncertainty loss: label " + std::to_string(low < 0 ? low : high) +
                    " is outside the new classifier's " + std::to_string(new_classifier.size(0)) +
                    " classes");
    }
    const auto logits = prediction.mm(new_classifier.detach().t());
    terms.discriminative =
        label_smoothed_cross_entropy_per_sample(logits, labels, weights.label_smoothing);
    per_item = per_item + weights.mu_disc * terms.discriminative;
  } else {
    terms.discriminative = torch::zeros_like(terms.mse);
  }
  terms.loss = (0.5 * torch::exp(-sigma_flat) * per_item + weights.mu_unc * sigma_flat).mean();
  return terms;
}

}  // namespace fct::losses
