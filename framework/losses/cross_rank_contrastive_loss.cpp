#include "framework/losses/cross_rank_contrastive_loss.h"

#include "framework/core/error.h"
#include "framework/losses/contrastive_loss.h"

namespace fct::losses {

torch::Tensor nt_xent_loss_across_ranks(const torch::Tensor& projections, double temperature,
                                        distributed::Communicator& comm) {
  if (comm.size() == 1) return nt_xent_loss(projections, temperature);
  if (projections.dim() != 2 || projections.size(0) % 2 != 0 || projections.size(0) < 2)
    throw Error("nt_xent: expected projections [2B, p] with B >= 1");
  const int64_t world = comm.size(), rank = comm.rank();
  const int64_t b = projections.size(0) / 2, p = projections.size(1);

  // The global batch in the two-view layout: first views of every rank, then second views.
  const auto gathered = comm.all_gather(projections.detach().contiguous());  // [world, 2B, p]
  auto global = torch::cat({gathered.slice(1, 0, b).reshape({world * b, p}),
                            gathered.slice(1, b, 2 * b).reshape({world * b, p})})
                    .requires_grad_(true);
  const auto options = torch::TensorOptions().dtype(torch::kInt64).device(projections.device());
  const auto mine =
      torch::cat({torch::arange(rank * b, rank * b + b, options),
                  torch::arange((world + rank) * b, (world + rank + 1) * b, options)});
  const auto loss = nt_xent_loss_of_anchors(global, mine, temperature);

  // This rank's rows also appear as negatives (and positives) of the other ranks' anchors: their
  // full gradient is the sum of every rank's loss gradient, which one all-reduce provides.
  auto gradient = torch::autograd::grad({loss}, {global})[0].contiguous();
  comm.all_reduce(gradient);
  const auto own_gradient = gradient.index_select(0, mine);
  // Value: this rank's loss; gradient with respect to `projections`: own_gradient.
  const auto linear = (projections * own_gradient).sum();
  return loss.detach() + (linear - linear.detach());
}

}  // namespace fct::losses
