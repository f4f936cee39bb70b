// `fct grid grid.yaml`: every old → new pair of a compatibility grid
// (framework/config/grid_config.h) studied as `fct run` studies one, with each model, ψ and store
// made once and shared by every pair that uses it. Layout of the run directory:
//   models/old/<name>/, models/new/<name>/   φ of every model (trained once)
//   side_info/<recipe hash>/                 ψ, one per distinct recipe and old class set
//   stores/old-<name>.h5 (with ψ), stores/new-<name>.h5
//   pairs/<old>--<new>/                      BCT (when the pair has it), h ± ψ, backfills, results
//   grid.{md,csv,json,svg}                   the matrix (framework/report/grid_matrix.h)
// Every node is cached by its key (graph/stage_graph.h): a grid run again does only what is
// missing, and a pair added to the file trains only what it does not share.
#pragma once

#include "framework/config/grid_config.h"
#include "framework/distributed/communicator.h"
#include "framework/report/grid_matrix.h"
#include "framework/study/study_runner.h"

namespace fct::study {

struct GridOutcome {
  std::string run_directory;
  report::GridResults results;
  double seconds = 0.0;                 // stages run by this invocation
  std::vector<graph::NodeStatus> plan;  // dry runs: every node with its state
};

GridOutcome run_grid(const config::GridConfig& grid, distributed::Communicator& comm,
                     const StudyOptions& options);

// The matrix from the results every pair's table wrote (`fct grid --summarize`, after the jobs of
// a submitted grid). Throws fct::Error naming a pair whose results are missing.
report::GridResults grid_results(const config::GridConfig& grid);

}  // namespace fct::study
