// TransformationTask: trains h to map (φ_old(x), ψ(x)) to φ_new(x) by mean squared error, the
// frozen models' features coming from a TransformationFeatures source; BatchNorm statistics of h
// freeze from a given epoch on (half-way in the protocol). Validation: the same MSE on held-out
// data.
#pragma once

#include <memory>

#include "framework/models/transformation.h"
#include "framework/train/training_task.h"
#include "framework/train/transformation_features.h"

namespace fct::train {

class TransformationTask : public TrainingTask {
 public:
  TransformationTask(models::Transformation transformation,
                     std::unique_ptr<TransformationFeatures> train_features,
                     std::unique_ptr<TransformationFeatures> val_features,
                     int64_t freeze_batchnorm_epoch, torch::Device device);

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
};

}  // namespace fct::train
