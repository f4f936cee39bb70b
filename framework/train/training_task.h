// TrainingTask: what differs between the trainings fct runs (supervised, SimCLR side-info, BCT,
// transformation h). The Trainer owns the loop — sharding, gradient averaging, schedule,
// checkpoints, progress, metrics — and asks the task only for the module, a loss per batch and
// an evaluation.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "framework/data/batch_loader.h"

namespace fct::train {

struct StepOutput {
  torch::Tensor loss;   // scalar, to call backward() on
  int64_t correct = 0;  // for tasks with a classifier: correct top-1 predictions in the batch
  int64_t count = 0;    // samples in the batch
};

// A validation metric as a sum over samples and their count (accuracy: correct predictions;
// the transformation: squared error per item), summed over batches and ranks.
struct EvalCounts {
  double sum = 0.0;
  int64_t count = 0;
};

class TrainingTask {
 public:
  virtual ~TrainingTask() = default;
  virtual std::string name() const = 0;
  // The module whose parameters are trained, averaged across ranks and checkpointed.
  virtual torch::nn::Module& module() = 0;
  // Forward pass and loss on a training batch (module in train mode).
  virtual StepOutput train_step(const data::Batch& batch) = 0;
  // Evaluation counts on one batch of the validation split (module in eval mode, no grad).
  virtual EvalCounts eval_step(const data::Batch& batch) = 0;
  // The metric eval_step sums, as shown in logs ("val_accuracy"); metrics named *accuracy are
  // shown as percentages.
  virtual std::string eval_metric() const { return "val_accuracy"; }
  // Whether train_step counts correct predictions (a regression task does not).
  virtual bool has_accuracy() const { return true; }
  // Loader settings the task needs (SimCLR: two views per sample).
  virtual int64_t views() const { return 1; }
};

}  // namespace fct::train
