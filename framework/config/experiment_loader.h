// The entry point of `fct train`: the experiment config of a YAML file plus command-line overrides.
#pragma once

#include <string>
#include <vector>

#include "framework/config/config_loader.h"
#include "framework/config/experiment_config.h"

namespace fct::config {

// config, resolved_yaml, source_path, overrides, hash (fnv1a of resolved_yaml).
using LoadedExperiment = LoadedConfig<ExperimentConfig>;

// Throws fct::ConfigError naming file:line:column (or the override) and the key path.
// `names`: the registries' names (study/registered_names.h).
LoadedExperiment load_experiment(const std::string& path, const std::vector<std::string>& overrides,
                                 const RegisteredNames& names);

}  // namespace fct::config
