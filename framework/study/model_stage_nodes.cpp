// The training nodes: supervised φ (old, new), ψ by SimCLR, φ_bct.
#include "framework/config/config_writer.h"
#include "framework/config/result_key.h"
#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/models/model_file.h"
#include "framework/study/stage_nodes.h"
#include "framework/train/bct_training.h"
#include "framework/train/model_import.h"
#include "framework/train/run_directory.h"
#include "framework/train/side_info_training.h"
#include "framework/train/supervised_training.h"

namespace fct::study {
namespace {

// config.yaml and provenance.json beside the model, as every run directory has them.
void write_model_record(const StageEnvironment& env, const std::string& directory,
                        const std::string& resolved_yaml) {
  if (env.comm.rank() != 0) return;
  ProvenanceInputs provenance = env.options.provenance;
  provenance.config_hash = fnv1a(resolved_yaml);
  train::write_run_record(directory, resolved_yaml, provenance);
}

// The bytes of the PyTorch file a model section reads (model.weights, or a TorchScript path) are
// part of its result: an edited file is a different model, whatever its name.
std::string model_files_key(const config::ModelConfig& model) {
  std::string key;
  if (!model.weights.empty()) key += "weights_hash: " + file_hash(model.weights) + "\n";
  if (!model.path.empty()) key += "path_hash: " + file_hash(model.path) + "\n";
  return key.empty() ? key : "---\n" + key;
}

// A model brought in rather than trained (model.imported()): the node writes the model.pt a
// training would have, from the TorchScript file or the frozen state dict.
graph::StageNode imported_model_node(const StageEnvironment& env, const std::string& kind,
                                     const config::ExperimentConfig& experiment,
                                     const std::string& model_kind, const std::string& role) {
  graph::StageNode node;
  node.kind = kind;
  // Only what the import reads is its result: the model section, the data it is checked on.
  node.config = "imported: " + model_kind + "\n---\n" + config::to_yaml(experiment.model) +
                "---\n" + config::result_key(experiment.data) + model_files_key(experiment.model);
  const std::string source =
      experiment.model.arch == "torchscript" ? experiment.model.path : experiment.model.weights;
  node.label = role + " (imported from " + source + ")";
  node.build = [env, experiment, model_kind](const graph::NodeBuild& build) {
    auto run = experiment;
    run.output_dir = build.directory;
    const std::string yaml = config::to_yaml(run);
    write_model_record(env, build.directory, yaml);
    train::import_model(
        {run.model, run.data, model_kind, run.name, yaml, train::model_path(build.directory)},
        env.comm);
  };
  return node;
}

}  // namespace

train::TrainerOptions trainer_options(const StageEnvironment& env,
                                      const config::ExperimentConfig& experiment,
                                      const graph::NodeBuild& build) {
  train::TrainerOptions options;
  options.run_directory = build.directory;
  options.config_hash = fnv1a(config::result_key(experiment));
  options.resume = build.resume;
  options.show_progress = env.options.show_progress;
  options.device = env.options.device;
  return options;
}

graph::StageNode supervised_model_node(const StageEnvironment& env, const std::string& kind,
                                       const config::StudyConfig& study,
                                       const std::string& seed_name,
                                       const config::ModelStageConfig& section) {
  auto experiment =
      config::experiment_for_stage(study, seed_name, section.classes, section.model, section.loss,
                                   section.optimizer, section.schedule, "");
  experiment.debug = section.debug;  // test knobs: not part of the key (config::result_key)
  if (section.model.imported())
    return imported_model_node(env, kind, experiment, models::kEmbeddingKind, kind + " model");
  graph::StageNode node;
  node.kind = kind;
  node.resumable = true;
  node.config = config::result_key(experiment) + model_files_key(section.model);
  node.label = kind + " model";
  node.build = [env, experiment](const graph::NodeBuild& build) {
    auto run = experiment;
    run.output_dir = build.directory;
    write_model_record(env, build.directory, config::to_yaml(run));
    train::train_supervised(run, env.comm, trainer_options(env, run, build));
  };
  return node;
}

graph::StageNode side_info_model_node(const StageEnvironment& env, const config::StudyConfig& study,
                                      const std::vector<int64_t>& classes,
                                      const config::SideInfoStageConfig& section) {
  const config::LossConfig unused_loss;
  const auto experiment =
      config::experiment_for_stage(study, "side_info", classes, section.model, unused_loss,
                                   section.optimizer, section.schedule, "");
  if (section.model.imported())
    return imported_model_node(env, "side_info", experiment, models::kSideInfoKind,
                               "side-info model");
  const std::string simclr_yaml = "---\n" + config::to_yaml(section.simclr);
  graph::StageNode node;
  node.kind = "side_info";
  node.resumable = true;
  node.config = config::result_key(experiment) + simclr_yaml + model_files_key(section.model);
  node.label = "side-info model (SimCLR)";
  const auto simclr = section.simclr;
  node.build = [env, experiment, simclr, simclr_yaml](const graph::NodeBuild& build) {
    auto run = experiment;
    run.output_dir = build.directory;
    write_model_record(env, build.directory, config::to_yaml(run) + simclr_yaml);
    train::train_side_info(run, simclr, env.comm, trainer_options(env, run, build));
  };
  return node;
}

graph::StageNode bct_model_node(const StageEnvironment& env, const config::StudyConfig& study,
                                const std::string& seed_name,
                                const config::ModelStageConfig& section,
                                const std::string& old_id) {
  auto experiment =
      config::experiment_for_stage(study, seed_name, section.classes, section.model, section.loss,
                                   section.optimizer, section.schedule, "");
  experiment.debug = section.debug;
  const auto bct = study.bct;
  graph::StageNode node;
  node.kind = "bct";
  node.resumable = true;
  if (section.model.imported())
    throw ConfigError(
        "bct.model: the BCT baseline is trained (against the old model's "
        "classifier); a frozen or TorchScript model cannot be one");
  node.config = config::result_key(experiment) + "---\n" + config::to_yaml(bct) +
                model_files_key(section.model);
  node.inputs = {old_id};
  node.label = "bct model";
  node.build = [env, experiment, bct](const graph::NodeBuild& build) {
    auto run = experiment;
    run.output_dir = build.directory;
    write_model_record(env, build.directory, config::to_yaml(run));
    train::train_bct(run, bct, model_in(build.inputs.at(0)), env.comm,
                     trainer_options(env, run, build));
  };
  return node;
}

}  // namespace fct::study
