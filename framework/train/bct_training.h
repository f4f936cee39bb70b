// Training of the BCT baseline φ_bct: a new model trained with the influence loss through the
// frozen old classifier, extended to the new classes by the mean old embedding of each class
// (fct-protocol.md §3). Leaves an embedding model file and summary.json in the run directory.
#pragma once

#include <string>

#include "framework/config/experiment_config.h"
#include "framework/config/study_config.h"
#include "framework/distributed/communicator.h"
#include "framework/models/embedding_model.h"
#include "framework/train/trainer.h"

namespace fct::train {

TrainSummary train_bct(const config::ExperimentConfig& config, const config::BctConfig& bct,
                       const std::string& old_model_path, distributed::Communicator& comm,
                       const TrainerOptions& options);

// Mean old-model embedding of every class of `config.data`'s training split (at most
// `samples_per_class` samples per class, 0 = all), [classes, d]; summed over the ranks.
torch::Tensor class_mean_embeddings(const config::ExperimentConfig& config,
                                    models::EmbeddingModel& model, int64_t samples_per_class,
                                    distributed::Communicator& comm, torch::Device device);

}  // namespace fct::train
