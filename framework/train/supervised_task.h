// SupervisedTask: an embedding model trained with a classification loss (the old and new models
// of the FCT protocol).
#pragma once

#include <memory>

#include "framework/losses/classification_loss.h"
#include "framework/models/embedding_model.h"
#include "framework/train/training_task.h"

namespace fct::train {

class SupervisedTask : public TrainingTask {
 public:
  SupervisedTask(models::EmbeddingModel model, std::unique_ptr<losses::ClassificationLoss> loss,
                 torch::Device device);

  std::string name() const override { return "supervised"; }
  torch::nn::Module& module() override { return *model_; }
  StepOutput train_step(const data::Batch& batch) override;
  EvalCounts eval_step(const data::Batch& batch) override;

  models::EmbeddingModel& model() { return model_; }

 private:
  models::EmbeddingModel model_;
  std::unique_ptr<losses::ClassificationLoss> loss_;
  torch::Device device_;
};

}  // namespace fct::train
