// Supervised training of one embedding model from an experiment config: builds the datasets,
// the model and the loss, runs the Trainer, and leaves model.pt and summary.json in the run
// directory. This is `fct train`, and the old/new-model stages of the FCT study.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "framework/config/experiment_config.h"
#include "framework/distributed/communicator.h"
#include "framework/losses/classification_loss.h"
#include "framework/train/trainer.h"

namespace fct::train {

// `loss` replaces the loss config.loss names (the BCT stage passes its influence loss).
TrainSummary train_supervised(const config::ExperimentConfig& config,
                              distributed::Communicator& comm, const TrainerOptions& options,
                              std::unique_ptr<losses::ClassificationLoss> loss = nullptr);

// Writes summary.json of a finished training into its run directory (rank 0 only).
void write_training_summary(const std::string& run_directory, const TrainSummary& summary,
                            int world_size, nlohmann::json extra);

// One log line: the training starts from the state dict `path` (model.weights); `unused` are its
// keys the model has no place for.
void log_pretrained_weights(const std::string& path, const std::vector<std::string>& unused);

// The model file a finished training leaves in its run directory.
std::string model_path(const std::string& run_directory);

}  // namespace fct::train
