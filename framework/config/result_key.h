// The part of a resolved config that decides what a run produces. Settings that only change how
// a run executes — threads, communicator, device, timeouts, logging, the output directory, fault
// injection — are left out, so a study run again with more loader threads or another log interval
// reuses the stages it has already done instead of training them again.
#pragma once

#include <string>

#include "framework/config/experiment_config.h"

namespace fct::config {

// YAML of `config` with the execution-only settings at their defaults.
std::string result_key(ExperimentConfig config);
std::string result_key(DataConfig data);

}  // namespace fct::config
