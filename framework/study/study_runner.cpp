#include "framework/study/study_runner.h"

#include "framework/study/study_stages.h"
#include "framework/train/run_directory.h"

namespace fct::study {

StudyOutcome run_study(const config::LoadedConfig<config::StudyConfig>& loaded,
                       dist::Communicator& comm, const StudyOptions& options) {
  const auto& study = loaded.config;
  const std::string root = train::resolve_run_directory(study.output_dir, study.name);
  StageRunner runner(comm, 4 + 3 + compatibility_stage_count(study));
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

  // The models: φ_old, ψ (SimCLR on the old data), φ_new, φ_bct.
  supervised_model_stage(context, {"old", stage_dir("old"), "old model"}, study.old_model);
  side_info_model_stage(context, {"side_info", stage_dir("side_info"), "side-info model (SimCLR)"},
                        study.old_model.classes, study.side_info);
  supervised_model_stage(context, {"new", stage_dir("new"), "new model"}, study.new_model);
  bct_model_stage(context, {"bct", stage_dir("bct"), "bct model"}, study.bct_model,
                  inputs.old_model);

  // Stores of the evaluation split. The old gallery carries ψ beside φ_old, as FCT stores it.
  store_stage(context, "old", inputs.old_model, inputs.side_info_model, inputs.old_store);
  store_stage(context, "new", inputs.new_model, "", inputs.new_store);
  store_stage(context, "bct", inputs.bct_model, "", inputs.bct_store);

  StudyOutcome outcome;
  outcome.run_directory = root;
  outcome.rows = compatibility_stages(context, inputs, root, "FCT study " + study.name);
  outcome.seconds = runner.seconds_spent();
  return outcome;
}

}  // namespace fct::study
