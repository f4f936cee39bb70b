#include "framework/study/grid_runner.h"

#include <map>

#include "framework/config/config_writer.h"
#include "framework/core/hash.h"
#include "framework/study/study_stages.h"
#include "framework/train/run_directory.h"

namespace fct::study {
namespace {

// ψ models are shared by recipe and old class set, so their directory is named by both.
std::string side_info_identity(const config::GridModel& old_model) {
  std::string classes;
  for (const auto c : old_model.section.classes) classes += std::to_string(c) + ",";
  return to_hex(fnv1a(config::to_yaml(old_model.side_info) + "classes " + classes)).substr(0, 12);
}

}  // namespace

GridOutcome run_grid(const config::GridConfig& grid, dist::Communicator& comm,
                     const StudyOptions& options) {
  const auto& base = grid.base.config;
  const std::string root = train::resolve_run_directory(base.output_dir, base.name);
  std::map<std::string, std::size_t> side_info_models;  // identity → first old model using it
  for (std::size_t i = 0; i < grid.old_models.size(); ++i)
    side_info_models.emplace(side_info_identity(grid.old_models[i]), i);
  int bct_pairs = 0;
  for (const auto& pair : grid.pairs) bct_pairs += pair.bct ? 2 : 0;  // training and its store
  const int total = static_cast<int>(2 * grid.old_models.size() + side_info_models.size() +
                                     2 * grid.new_models.size()) +
                    bct_pairs +
                    static_cast<int>(grid.pairs.size()) * compatibility_stage_count(base);
  StageRunner runner(comm, total);
  if (comm.rank() == 0) {
    ProvenanceInputs provenance = options.provenance;
    provenance.config_hash = grid.hash;
    train::write_run_record(root, grid.resolved_yaml, provenance);
  }
  comm.barrier();

  StageContext shared{base, comm, options, runner};
  const auto old_dir = [&](const config::GridModel& m) { return root + "/models/old/" + m.name; };
  const auto new_dir = [&](const config::GridModel& m) { return root + "/models/new/" + m.name; };
  const auto side_dir = [&](const config::GridModel& m) {
    return root + "/side_info/" + side_info_identity(m);
  };
  const auto old_store = [&](const config::GridModel& m) {
    return root + "/stores/old-" + m.name + ".h5";
  };
  const auto new_store = [&](const config::GridModel& m) {
    return root + "/stores/new-" + m.name + ".h5";
  };

  // Every model once: φ_old and ψ, then φ_new; then the stores of the evaluation split.
  for (const auto& m : grid.old_models)
    supervised_model_stage(shared, {"old:" + m.name, old_dir(m), "old model " + m.name}, m.section);
  for (const auto& [identity, index] : side_info_models) {
    const auto& m = grid.old_models[index];
    side_info_model_stage(shared, {"side_info", side_dir(m), "side-info model " + identity},
                          m.section.classes, m.side_info);
  }
  for (const auto& m : grid.new_models)
    supervised_model_stage(shared, {"new:" + m.name, new_dir(m), "new model " + m.name}, m.section);
  for (const auto& m : grid.old_models)
    store_stage(shared, "old-" + m.name, model_file(old_dir(m)), model_file(side_dir(m)),
                old_store(m));
  for (const auto& m : grid.new_models)
    store_stage(shared, "new-" + m.name, model_file(new_dir(m)), "", new_store(m));

  // Every pair: its BCT model (when it has one), then h ± ψ and the evaluation.
  GridOutcome outcome;
  outcome.run_directory = root;
  outcome.results.title = "Compatibility grid " + base.name;
  for (const auto& m : grid.old_models) outcome.results.old_names.push_back(m.name);
  for (const auto& m : grid.new_models) outcome.results.new_names.push_back(m.name);
  for (const auto& pair : grid.pairs) {
    const auto& o = grid.old_models[pair.old_index];
    const auto& n = grid.new_models[pair.new_index];
    const std::string directory = root + "/pairs/" + o.name + "--" + n.name;
    const config::StudyConfig study = config::pair_study(grid, pair);
    if (comm.rank() == 0) {
      ProvenanceInputs provenance = options.provenance;
      const std::string yaml = config::to_yaml(study);
      provenance.config_hash = fnv1a(yaml);
      train::write_run_record(directory, yaml, provenance);
    }
    StageContext context{study, comm, options, runner};
    PairInputs inputs;
    inputs.old_model = model_file(old_dir(o));
    inputs.side_info_model = model_file(side_dir(o));
    inputs.new_model = model_file(new_dir(n));
    inputs.old_store = old_store(o);
    inputs.new_store = new_store(n);
    if (pair.bct) {
      const std::string bct_dir = directory + "/bct";
      inputs.bct_model = model_file(bct_dir);
      inputs.bct_store = directory + "/stores/bct.h5";
      bct_model_stage(context, {"bct:" + o.name + "->" + n.name, bct_dir, "bct model " + n.name},
                      study.bct_model, inputs.old_model);
      store_stage(context, "bct " + o.name + "->" + n.name, inputs.bct_model, "", inputs.bct_store);
    }
    GridCell cell;
    cell.old_name = o.name;
    cell.new_name = n.name;
    cell.directory = directory;
    cell.rows = compatibility_stages(
        context, inputs, directory,
        "FCT study " + study.name + " (" + config::pair_label(grid, pair) + ")");
    outcome.results.cells.push_back(std::move(cell));
  }
  if (comm.rank() == 0) write_grid_results(root, outcome.results);
  comm.barrier();
  outcome.seconds = runner.seconds_spent();
  return outcome;
}

}  // namespace fct::study
