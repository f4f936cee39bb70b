// Trainer: the one data-parallel training loop of fct. Every rank runs it on its own shard
// (DistributedSampler), gradients are averaged by the GradientReducer, rank 0 shows progress,
// writes metrics and checkpoints; a checkpoint per epoch makes the run resumable.
#pragma once

#include <cstdint>
#include <string>

#include "framework/config/experiment_config.h"
#include "framework/data/batch_loader.h"
#include "framework/data/dataset.h"
#include "framework/data/transforms.h"
#include "framework/distributed/communicator.h"
#include "framework/train/training_task.h"

namespace fct::train {

struct TrainerOptions {
  std::string run_directory;
  uint64_t config_hash = 0;
  bool resume = false;            // continue from <run>/checkpoint.pt when it exists
  int64_t stop_after_epochs = 0;  // end this invocation after N more epochs (0 = run to the end)
  bool show_progress = true;
  torch::Device device = torch::kCPU;
};

struct TrainSummary {
  int64_t epochs_done = 0;
  int64_t global_step = 0;
  double val_metric = 0.0;            // the task's eval metric after the last epoch, in [0, 1]
  double train_seconds = 0.0;         // this invocation's training time (excluding evaluation)
  double images_per_s = 0.0;          // global training throughput of this invocation
  double allreduce_wait_share = 0.0;  // share of step time spent waiting for gradient all-reduce
  bool finished = false;              // all configured epochs are done
};

class Trainer {
 public:
  Trainer(const config::ExperimentConfig& config, distributed::Communicator& comm, TrainerOptions options);

  TrainSummary run(TrainingTask& task, const data::BatchSource& train_set,
                   const data::BatchSource& val_set);
  // Images through transforms (ImageBatchSource).
  TrainSummary run(TrainingTask& task, const data::Dataset& train_set,
                   const data::Transform& train_transform, const data::Dataset& val_set,
                   const data::Transform& eval_transform);

 private:
  const config::ExperimentConfig& config_;
  distributed::Communicator& comm_;
  TrainerOptions options_;
};

// The checkpoint path inside a run directory.
std::string checkpoint_path(const std::string& run_directory);

}  // namespace fct::train
