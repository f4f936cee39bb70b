#include "framework/train/transformation_task.h"

#include "framework/core/error.h"

namespace fct::train {

TransformationTask::TransformationTask(models::Transformation transformation,
                                       std::unique_ptr<TransformationFeatures> train_features,
                                       std::unique_ptr<TransformationFeatures> val_features,
                                       int64_t freeze_batchnorm_epoch, torch::Device device,
                                       UncertaintyTraining uncertainty)
    : transformation_(std::move(transformation)),
      train_features_(std::move(train_features)),
      val_features_(std::move(val_features)),
      freeze_batchnorm_epoch_(freeze_batchnorm_epoch),
      device_(device),
      uncertainty_(std::move(uncertainty)) {
  transformation_->to(device_);
  if (transformation_->spec().uncertainty && !uncertainty_.new_classifier.defined())
    throw Error("transformation task: an h with the σ head needs the new model's classifier");
  if (uncertainty_.new_classifier.defined())
    uncertainty_.new_classifier = uncertainty_.new_classifier.detach().to(device_);
}

StepOutput TransformationTask::train_step(const data::Batch& batch) {
  const auto inputs = train_features_->get(batch);
  transformation_->train();
  if (batch.epoch >= freeze_batchnorm_epoch_) transformation_->freeze_batchnorm();
  StepOutput out;
  if (transformation_->spec().uncertainty) {
    const auto prediction =
        transformation_->forward_with_sigma(inputs.old_embedding, inputs.side_info);
    out.loss = losses::uncertainty_loss(prediction.embedding, inputs.target, prediction.sigma,
                                        uncertainty_.new_classifier, batch.labels.to(device_),
                                        uncertainty_.weights)
                   .loss;
    out.count = prediction.embedding.size(0);
  } else {
    const auto prediction = transformation_->forward(inputs.old_embedding, inputs.side_info);
    out.loss = torch::mse_loss(prediction, inputs.target);
    out.count = prediction.size(0);
  }
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
