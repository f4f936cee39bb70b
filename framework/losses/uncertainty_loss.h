// FastFill's training loss for a transformation h with an uncertainty head (fct-protocol.md §5;
// Jaeckle et al., ICLR 2023, after Kendall & Gal's aleatoric form). Per item i, with σ_i the
// predicted log-variance:
//   ℓ_i  = MSE_i(h(x_i), φ_new(x_i)) + μ_disc · CE_ls(W_new · h(x_i), y_i)
//   loss = mean_i [ ½ · exp(−σ_i) · ℓ_i + μ_unc · σ_i ]
// MSE_i is the mean over dimensions; W_new is the frozen, bias-free classifier of the new model
// (plain dot-product logits, as FastFill's code), CE_ls label-smoothed. Items h finds hard get a
// large σ, which is what the `sigma` backfilling order re-embeds first.
#pragma once

#include <torch/torch.h>

namespace fct::losses {

struct UncertaintyLossWeights {
  double mu_disc = 1.0;  // weight of the new classifier's cross-entropy on h(x)
  double mu_unc = 0.5;   // weight of the σ penalty
  double label_smoothing = 0.1;
};

struct UncertaintyLossTerms {
  torch::Tensor loss;            // scalar, the value to minimise
  torch::Tensor mse;             // [B], per item
  torch::Tensor discriminative;  // [B], per item (CE_ls; zeros when μ_disc = 0)
};

// prediction, target [B, d]; sigma [B] or [B, 1]; new_classifier [C, d] (frozen: no gradient
// flows into it); labels int64 [B] in [0, C). Throws fct::Error for mismatched shapes or labels
// outside the classifier's classes.
UncertaintyLossTerms uncertainty_loss(const torch::Tensor& prediction, const torch::Tensor& target,
                                      const torch::Tensor& sigma,
                                      const torch::Tensor& new_classifier,
                                      const torch::Tensor& labels,
                                      const UncertaintyLossWeights& weights);

}  // namespace fct::losses
