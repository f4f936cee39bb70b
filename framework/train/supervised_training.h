// Supervised training of one embedding model from an experiment config: builds the datasets,
// the model and the loss, runs the Trainer, and leaves model.pt and summary.json in the run
// directory. This is `fct train`, and the old/new-model stages of the FCT study.
#pragma once

#include "framework/config/experiment_config.h"
#include "framework/dist/communicator.h"
#include "framework/train/trainer.h"

namespace fct::train {

TrainSummary train_supervised(const config::ExperimentConfig& config, dist::Communicator& comm,
                              const TrainerOptions& options);

// cpu or cuda:<local_rank>, from dist.device ("auto" = cuda when LibTorch sees a GPU).
torch::Device select_device(const std::string& setting, int local_rank);

// The model file a finished training leaves in its run directory.
std::string model_path(const std::string& run_directory);

}  // namespace fct::train
