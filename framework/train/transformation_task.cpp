#include "framework/train/transformation_task.h"

namespace fct::train {

TransformationTask::TransformationTask(models::Transformation transformation,
                                       std::unique_ptr<TransformationFeatures> train_features,
                                       std::unique_ptr<TransformationFeatures> val_features,
                                       int64_t freeze_batchnorm_epoch, torch::Device device)
    : transformation_(std::move(transformation)),
      train_features_(std::move(train_features)),
      val_features_(std::move(val_features)),
      freeze_batchnorm_epoch_(freeze_batchnorm_epoch),
      device_(device) {
  transformation_->to(device_);
}

StepOutput TransformationTask::train_step(const data::Batch& batch) {
  const auto inputs = train_features_->get(batch);
  transformation_->train();
  if (batch.epoch >= freeze_batchnorm_epoch_) transformation_->freeze_batchnorm();
  const auto prediction = transformation_->forward(inputs.old_embedding, inputs.side_info);
  StepOutput out;
  out.loss = torch::mse_loss(prediction, inputs.target);
  out.count = prediction.size(0);
  return out;
}

EvalCounts TransformationTask::eval_step(const data::Batch& batch) {
  const auto inputs = val_features_->get(batch);
  transformation_->eval();
  torch::NoGradGuard no_grad;
  const auto prediction = transformation_->forward(inputs.old_embedding, inputs.side_info);
  // Per item: the mean over dimensions (the training loss's reduction), summed over the batch.
  const double sum = (prediction - inputs.target).pow(2).mean(1).sum().item<double>();
  return {sum, prediction.size(0)};
}

}  // namespace fct::train
