// NT-Xent, the contrastive loss of SimCLR (Chen et al. 2020), which trains the side-information
// model ψ without labels.
#pragma once

#include <torch/torch.h>

namespace fct::losses {

// `projections` [2B, p] hold view 0 of B samples, then view 1 of the same samples (the layout of
// a two-view batch). Each of the 2B rows is an anchor whose positive is the other view of its
// sample and whose negatives are the other 2B - 2 rows; similarity is cosine / temperature.
// Returns the mean over the 2B anchors of -log softmax(positive).
torch::Tensor nt_xent_loss(const torch::Tensor& projections, double temperature);

// The same mean over some anchors only (`anchors`: int64 row indices), each still contrasted with
// every other row: one rank's share of a batch gathered from all ranks.
torch::Tensor nt_xent_loss_of_anchors(const torch::Tensor& projections,
                                      const torch::Tensor& anchors, double temperature);

// Fraction of anchors whose most similar other row is their positive (a cheap progress measure).
double nt_xent_pair_accuracy(const torch::Tensor& projections);

}  // namespace fct::losses
