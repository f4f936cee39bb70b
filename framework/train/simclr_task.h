// SimclrTask: the side-information model ψ trained by SimCLR on two augmented views per image,
// without labels, with the negatives of every rank (nt_xent_loss_across_ranks). Its metrics are
// the share of views whose nearest other view in the rank's batch is their partner (validation:
// views of held-out images, augmented the same way).
#pragma once

#include "framework/distributed/communicator.h"
#include "framework/models/simclr_model.h"
#include "framework/train/training_task.h"

namespace fct::train {

class SimclrTask : public TrainingTask {
 public:
  SimclrTask(models::SimclrModel model, double temperature, distributed::Communicator& comm,
             torch::Device device);

  std::string name() const override { return "simclr"; }
  torch::nn::Module& module() override { return *model_; }
  StepOutput train_step(const data::Batch& batch) override;
  EvalCounts eval_step(const data::Batch& batch) override;
  std::string eval_metric() const override { return "val_pair_accuracy"; }
  int64_t views() const override { return 2; }

 private:
  models::SimclrModel model_;
  double temperature_;
  distributed::Communicator& comm_;
  torch::Device device_;
};

}  // namespace fct::train
