#include "framework/train/supervised_task.h"

#include "framework/models/inference_batch.h"

namespace fct::train {

SupervisedTask::SupervisedTask(models::EmbeddingModel model,
                               std::unique_ptr<losses::ClassificationLoss> loss,
                               torch::Device device)
    : model_(std::move(model)), loss_(std::move(loss)), device_(device) {
  model_->to(device_);
}

StepOutput SupervisedTask::train_step(const data::Batch& batch) {
  model_->train();
  const auto images = batch.images.to(device_, /*non_blocking=*/true);
  const auto labels = batch.labels.to(device_, /*non_blocking=*/true);
  const auto output = model_->forward(images);
  StepOutput result;
  const losses::LossInputs inputs{output.embedding, output.logits, labels,
                                  model_->classifier()->weight};
  result.loss = loss_->forward(inputs);
  result.correct = loss_->scores(inputs).detach().argmax(1).eq(labels).sum().item<int64_t>();
  result.count = labels.size(0);
  return result;
}

EvalCounts SupervisedTask::eval_step(const data::Batch& batch) {
  model_->eval();
  torch::NoGradGuard no_grad;
  const auto images = batch.images.to(device_, /*non_blocking=*/true);
  const auto labels = batch.labels.to(device_, /*non_blocking=*/true);
  // In slices that stay in the cache (models/inference_batch.h); the classifier on all rows.
  const auto embedding = models::forward_in_slices(
      model_->backbone(), images, [&](const torch::Tensor& slice) { return model_->embed(slice); });
  const auto logits = model_->classifier()->forward(embedding);
  const auto scores = loss_->scores({embedding, logits, labels, model_->classifier()->weight});
  return {static_cast<double>(scores.argmax(1).eq(labels).sum().item<int64_t>()), labels.size(0)};
}

}  // namespace fct::train
