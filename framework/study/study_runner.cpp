#include "framework/study/study_runner.h"

#include <algorithm>
#include <filesystem>

#include "framework/core/error.h"
#include "framework/study/study_stages.h"
#include "framework/train/run_directory.h"

namespace fct::study {
namespace {

// A part run on its own finds the models it reads, or says which part makes them.
void require(const std::string& model, const std::string& part) {
  if (!std::filesystem::exists(model))
    throw Error(model + " is missing: run the study's part '" + part +
                "' first (fct run ... --part " + part + ")");
}

}  // namespace

const std::vector<std::string>& study_parts() {
  static const std::vector<std::string> parts = {"old", "side_info", "new", "bct", "compatibility"};
  return parts;
}

StudyOutcome run_study(const config::LoadedConfig<config::StudyConfig>& loaded,
                       dist::Communicator& comm, const StudyOptions& options) {
  const auto& study = loaded.config;
  const std::string root = train::resolve_run_directory(study.output_dir, study.name);
  const std::string& part = options.part;
  if (!part.empty() &&
      std::find(study_parts().begin(), study_parts().end(), part) == study_parts().end())
    throw ConfigError("unknown study part '" + part +
                      "' (old, side_info, new, bct, compatibility)");
  const auto wanted = [&](const char* name) { return part.empty() || part == name; };
  const int model_stages = part.empty() ? 4 : part == "compatibility" ? 0 : 1;
  const int later_stages = wanted("compatibility") ? 3 + compatibility_stage_count(study) : 0;
  StageRunner runner(comm, model_stages + later_stages);
  StageContext context{study, comm, options, runner};
  if (comm.rank() == 0) {
    ProvenanceInputs provenance = options.provenance;
    provenance.config_hash = loaded.hash;
    train::write_run_record(root, loaded.resolved_yaml, provenance);
  }
  comm.barrier();

  const auto stage_dir = [&](const std::string& stage) { return root + "/" + stage; };
  const auto store = [&](const std::string& name) { return root + "/stores/" + name + ".h5"; };
  PairInputs inputs;
  inputs.old_model = model_file(stage_dir("old"));
  inputs.side_info_model = model_file(stage_dir("side_info"));
  inputs.new_model = model_file(stage_dir("new"));
  inputs.bct_model = model_file(stage_dir("bct"));
  inputs.old_store = store("old");
  inputs.new_store = store("new");
  inputs.bct_store = store("bct");

  StudyOutcome outcome;
  outcome.run_directory = root;

  // The models: φ_old, ψ (SimCLR on the old data), φ_new, φ_bct.
  if (wanted("old"))
    supervised_model_stage(context, {"old", stage_dir("old"), "old model"}, study.old_model);
  if (wanted("side_info"))
    side_info_model_stage(context,
                          {"side_info", stage_dir("side_info"), "side-info model (SimCLR)"},
                          study.old_model.classes, study.side_info);
  if (wanted("new"))
    supervised_model_stage(context, {"new", stage_dir("new"), "new model"}, study.new_model);
  if (wanted("bct")) {
    require(inputs.old_model, "old");
    bct_model_stage(context, {"bct", stage_dir("bct"), "bct model"}, study.bct_model,
                    inputs.old_model);
  }
  if (!wanted("compatibility")) {
    outcome.seconds = runner.seconds_spent();
    return outcome;
  }
  require(inputs.old_model, "old");
  require(inputs.side_info_model, "side_info");
  require(inputs.new_model, "new");
  require(inputs.bct_model, "bct");

  // Stores of the evaluation split. The old gallery carries ψ beside φ_old, as FCT stores it.
  store_stage(context, "old", inputs.old_model, inputs.side_info_model, inputs.old_store);
  store_stage(context, "new", inputs.new_model, "", inputs.new_store);
  store_stage(context, "bct", inputs.bct_model, "", inputs.bct_store);

  outcome.rows = compatibility_stages(context, inputs, root, "FCT study " + study.name);
  outcome.seconds = runner.seconds_spent();
  return outcome;
}

}  // namespace fct::study
