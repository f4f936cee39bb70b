#include "framework/train/simclr_task.h"

#include "framework/losses/contrastive_loss.h"
#include "framework/losses/cross_rank_contrastive_loss.h"
#include "framework/models/inference_batch.h"

namespace fct::train {

SimclrTask::SimclrTask(models::SimclrModel model, double temperature,
                       distributed::Communicator& comm, torch::Device device)
    : model_(std::move(model)), temperature_(temperature), comm_(comm), device_(device) {
  model_->to(device_);
}

StepOutput SimclrTask::train_step(const data::Batch& batch) {
  model_->train();
  // One pass over the whole batch: in training mode batch norm's statistics are the batch's.
  const auto projections = model_->forward(batch.images.to(device_, /*non_blocking=*/true));
  StepOutput out;
  out.loss = losses::nt_xent_loss_across_ranks(projections, temperature_, comm_);
  out.count = projections.size(0);
  out.correct = static_cast<int64_t>(
      std::llround(losses::nt_xent_pair_accuracy(projections) * static_cast<double>(out.count)));
  return out;
}

EvalCounts SimclrTask::eval_step(const data::Batch& batch) {
  model_->eval();
  torch::NoGradGuard no_grad;
  // Each image's projection alone, in slices that stay in the cache (models/inference_batch.h);
  // the accuracy over the whole batch, whose other images are the negatives.
  const auto images = batch.images.to(device_, /*non_blocking=*/true);
  const auto projections =
      models::forward_in_slices(model_->backbone(), images,
                                [&](const torch::Tensor& slice) { return model_->forward(slice); });
  if (projections.size(0) < 4) return {};  // a last batch of one image has no negatives
  const auto n = projections.size(0);
  return {losses::nt_xent_pair_accuracy(projections) * static_cast<double>(n), n};
}

}  // namespace fct::train
