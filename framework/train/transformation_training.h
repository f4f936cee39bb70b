// Training of the transformation h from frozen φ_old, ψ and φ_new (fct-protocol.md §2, §3), fed on
// the fly or from a feature cache (Note [Cached features]); leaves a transformation model file
// that records the hashes of the three models, and summary.json.
#pragma once

#include <string>

#include "framework/config/experiment_config.h"
#include "framework/config/study_config.h"
#include "framework/distributed/communicator.h"
#include "framework/train/trainer.h"

namespace fct::train {

struct TransformationInputsPaths {
  std::string old_model;
  std::string side_info_model;  // the ψ the cache or stores were made with
  std::string new_model;
  // Cached feed only: the feature cache of the training split, and the validation split's stores
  // (φ_old with ψ, and φ_new).
  std::string feature_cache;
  std::string val_old_store;
  std::string val_new_store;
};

TrainSummary train_transformation(const config::ExperimentConfig& config,
                                  const config::TransformationConfig& transformation,
                                  bool use_side_info, const TransformationInputsPaths& paths,
                                  distributed::Communicator& comm, const TrainerOptions& options);

}  // namespace fct::train
