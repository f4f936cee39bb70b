// The points of a sweep, planned before anything runs: the file's `sweep:` block merged with the
// command line's axes (framework/config/sweep.h), every point's study config loaded and checked,
// and its directory <output_dir or runs/<name>>/sweep/<NNN_label>. `fct sweep` runs the plan;
// `fct submit` turns it into a job array.
#pragma once

#include <string>
#include <vector>

#include "framework/config/config_loader.h"
#include "framework/config/study_config.h"
#include "framework/config/sweep.h"

namespace fct::study {

struct PlannedPoint {
  config::SweepPoint point;
  std::string directory;
  config::LoadedConfig<config::StudyConfig> loaded;
};

struct SweepPlan {
  config::LoadedConfig<config::StudyConfig> base;  // the file without sweep:, plain overrides
  std::string directory;                           // where points and the summary go
  std::vector<PlannedPoint> points;
};

// `arguments`: plain overrides and multirun axes, as on the command line. Throws ConfigError for
// nothing to sweep or any invalid point.
SweepPlan plan_sweep(const std::string& config_path, const std::vector<std::string>& arguments);

// True when `config_path` has a sweep: block or `arguments` hold an axis.
bool is_sweep(const std::string& config_path, const std::vector<std::string>& arguments);

}  // namespace fct::study
