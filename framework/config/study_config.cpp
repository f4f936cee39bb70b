#include "framework/config/study_config.h"

#include "framework/core/hash.h"

namespace fct::config {

ExperimentConfig experiment_for_stage(const StudyConfig& study, const std::string& stage,
                                      const std::vector<int64_t>& classes, const ModelConfig& model,
                                      const LossConfig& loss, const OptimizerConfig& optimizer,
                                      const ScheduleConfig& schedule,
                                      const std::string& run_directory) {
  ExperimentConfig experiment;
  experiment.name = study.name + "/" + stage;
  // Each stage draws from its own seed: the old and the new model must not start from the same
  // weights, or new/old compatibility would not be "none".
  experiment.seed = static_cast<int64_t>(
      (static_cast<uint64_t>(study.seed) * 1000003u + (fnv1a(stage) & 0xFFFFFu)) & 0x7FFFFFFFFFFFu);
  experiment.output_dir = run_directory;
  experiment.log_every = study.log_every;
  experiment.data = study.data;
  experiment.data.classes = classes;
  experiment.model = model;
  experiment.loss = loss;
  experiment.optimizer = optimizer;
  experiment.schedule = schedule;
  experiment.dist = study.dist;
  return experiment;
}

}  // namespace fct::config
