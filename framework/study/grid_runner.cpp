#include "framework/study/grid_runner.h"

#include "framework/config/config_writer.h"
#include "framework/core/hash.h"
#include "framework/graph/local_executor.h"
#include "framework/study/study_graph.h"
#include "framework/train/run_directory.h"

namespace fct::study {

GridOutcome run_grid(const config::GridConfig& grid, distributed::Communicator& comm,
                     const StudyOptions& options) {
  const auto& base = grid.base.config;
  const std::string root = train::resolve_run_directory(base.output_dir, base.name);
  if (comm.rank() == 0 && !options.dry_run) {
    ProvenanceInputs provenance = options.provenance;
    provenance.config_hash = grid.hash;
    train::write_run_record(root, grid.resolved_yaml, provenance);
    for (const auto& pair : grid.pairs) {
      const config::StudyConfig study = config::pair_study(grid, pair);
      const std::string yaml = config::to_yaml(study);
      provenance.config_hash = fnv1a(yaml);
      train::write_run_record(grid_pair_directory(grid, pair), yaml, provenance);
    }
  }
  comm.barrier();

  const StageEnvironment env{comm, options};
  const auto graph = grid_graph(env, grid);
  const auto execution = execution_options(options, base, root);
  const auto report = graph::execute_locally(graph, comm, execution);
  GridOutcome outcome;
  outcome.run_directory = root;
  outcome.seconds = report.seconds;
  outcome.plan = report.plan;
  if (options.dry_run || !options.nodes.empty()) return outcome;  // a job: the matrix comes last
  outcome.results = grid_results(grid);
  if (comm.rank() == 0) report::write_grid_results(root, outcome.results);
  comm.barrier();
  return outcome;
}

report::GridResults grid_results(const config::GridConfig& grid) {
  report::GridResults results;
  results.title = "Compatibility grid " + grid.base.config.name;
  for (const auto& m : grid.old_models) results.old_names.push_back(m.name);
  for (const auto& m : grid.new_models) results.new_names.push_back(m.name);
  for (const auto& pair : grid.pairs) {
    report::GridCell cell;
    cell.old_name = grid.old_models[pair.old_index].name;
    cell.new_name = grid.new_models[pair.new_index].name;
    cell.directory = grid_pair_directory(grid, pair);
    cell.rows = read_results(cell.directory);
    results.cells.push_back(std::move(cell));
  }
  return results;
}

}  // namespace fct::study
