// Instantiates the generic loader for ExperimentConfig once, here, rather than in every caller.
#include "framework/config/experiment_loader.h"

namespace fct::config {

LoadedExperiment load_experiment(const std::string& path, const std::vector<std::string>& overrides,
                                 const RegisteredNames& names) {
  return load_config<ExperimentConfig>(path, overrides, names);
}

}  // namespace fct::config
