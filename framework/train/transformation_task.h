// TransformationTask: trains h to map (φ_old(x), ψ(x)) to φ_new(x) by mean squared error — or,
// for an h with the σ head, by FastFill's uncertainty loss (losses/uncertainty_loss.h) through the
// frozen new classifier — the frozen models' features coming from a TransformationFeatures source;
// BatchNorm statistics of h freeze from a given epoch on (half-way in the protocol). Validation:
// the MSE on held-out data, for both losses (comparable across variants).
#pragma once

#include <memory>

#include "framework/losses/uncertainty_loss.h"
#include "framework/models/transformation.h"
#include "framework/train/training_task.h"
#include "framework/train/transformation_features.h"

namespace fct::train {

// What the uncertainty loss needs beyond the features: the new model's classifier [C, d_new]
// (frozen) and the loss weights.
struct UncertaintyTraining {
  torch::Tensor new_classifier;
  losses::UncertaintyLossWeights weights;
};

class TransformationTask : public TrainingTask {
 public:
  // `uncertainty` is required exactly when h has the σ head.
  TransformationTask(models::Transformation transformation,
                     std::unique_ptr<TransformationFeatures> train_features,
                     std::unique_ptr<TransformationFeatures> val_features,
                     int64_t freeze_batchnorm_epoch, torch::Device device,
                     UncertaintyTraining uncertainty = {});

  std::string name() const override { return "transformation"; }
  torch::nn::Module& module() override { return *transformation_; }
  StepOutput train_step(const data::Batch& batch) override;
  EvalCounts eval_step(const data::Batch& batch) override;
  std::string eval_metric() const override { return "val_mse"; }
  bool has_accuracy() const override { return false; }

 private:
  models::Transformation transformation_;
  std::unique_ptr<TransformationFeatures> train_features_;
  std::unique_ptr<TransformationFeatures> val_features_;
  int64_t freeze_batchnorm_epoch_;
  torch::Device device_;
  UncertaintyTraining uncertainty_;
};

}  // namespace fct::train
