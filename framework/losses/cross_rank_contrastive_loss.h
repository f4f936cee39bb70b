// NT-Xent over the global batch of data-parallel training: each rank's anchors are contrasted
// with the projections of every rank, as SimCLR's cross-replica loss, so the negatives of an
// anchor do not shrink as ranks are added (2·B_global - 2 of them, not 2·B_local - 2).
#pragma once

#include <torch/torch.h>

#include "framework/distributed/communicator.h"

namespace fct::losses {

// Collective: every rank calls it with projections [2B, p] in the two-view layout (same B on
// every rank). Returns a scalar whose value is the mean loss of this rank's 2B anchors and whose
// gradient with respect to `projections` is the sum over ranks of each rank's loss gradient with
// respect to these rows. Averaging parameter gradients across ranks (GradientReducer) then gives
// exactly the gradient of nt_xent_loss on the whole global batch. With one rank it is
// nt_xent_loss.
torch::Tensor nt_xent_loss_across_ranks(const torch::Tensor& projections, double temperature,
                                        distributed::Communicator& comm);

}  // namespace fct::losses
