// Training of the side-information model ψ by SimCLR on the old model's training data, without
// labels; leaves model.pt (a side_info model file) and summary.json in the run directory.
#pragma once

#include "framework/config/experiment_config.h"
#include "framework/config/study_config.h"
#include "framework/distributed/communicator.h"
#include "framework/train/trainer.h"

namespace fct::train {

TrainSummary train_side_info(const config::ExperimentConfig& config,
                             const config::SimclrConfig& simclr, distributed::Communicator& comm,
                             const TrainerOptions& options);

}  // namespace fct::train
