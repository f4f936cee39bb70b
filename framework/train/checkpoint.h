// Checkpoints: model, optimiser state and progress, written atomically (see Note [Write, then
// rename] in framework/core/atomic_file.h) so that --resume never loads a half-written file.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace fct::train {

// Where a checkpoint written inside an epoch (on preemption) stopped: resuming there, with every
// rank's own BatchNorm statistics, gives the same model as never stopping.
struct PartialEpoch {
  int64_t steps = 0;                           // steps of epoch `epochs_done` already taken
  double loss_sum = 0, correct = 0, seen = 0;  // the epoch's sums so far, over all ranks
  torch::Tensor rank_buffers;                  // [ranks, n] float64: each rank's buffers, flat
};

struct TrainingProgress {
  int64_t epochs_done = 0;   // complete epochs
  int64_t global_step = 0;   // optimiser steps taken
  uint64_t config_hash = 0;  // of the resolved config that wrote it
  PartialEpoch partial;      // steps == 0: written at the end of an epoch
};

void save_checkpoint(const std::string& path, torch::nn::Module& model,
                     torch::optim::Optimizer& optimizer, const TrainingProgress& progress);

// Loads into `model` and `optimizer` (both already built with the same shapes); throws fct::Error
// naming the file when it is unreadable or does not fit the model.
TrainingProgress load_checkpoint(const std::string& path, torch::nn::Module& model,
                                 torch::optim::Optimizer& optimizer);

// Model weights only (parameters and buffers), for later stages that use a trained model.
void save_model(const std::string& path, torch::nn::Module& model);
void load_model(const std::string& path, torch::nn::Module& model);

}  // namespace fct::train
