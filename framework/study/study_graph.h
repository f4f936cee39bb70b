// The graph of a study, a sweep or a grid: which nodes each run directory declares and how it
// shows them (today's layouts: old/, stores/new.h5, pairs/<old>--<new>/ …). Every caller — `fct
// run`, `fct sweep`, `fct grid`, `fct submit`, `fct status` — builds its graph here, so the
// stages, their inputs and their names exist once.
#pragma once

#include <string>
#include <vector>

#include "framework/config/grid_config.h"
#include "framework/config/study_config.h"
#include "framework/graph/stage_graph.h"
#include "framework/study/node_kinds.h"
#include "framework/study/stage_nodes.h"

namespace fct::study {

// The study's nodes in `run_directory`: old, side_info, new, bct, stores/{old,new,bct}, then
// add_compatibility_nodes.
graph::RunNodes study_run_nodes(const StageEnvironment& env, const config::StudyConfig& study,
                                const std::string& run_directory);

// A grid's nodes: the root run shows every model, ψ and store (models/old/<name>, side_info/<id>,
// stores/old-<name>.h5 …) and each pair's run pairs/<old>--<new>/ its BCT and compatibility nodes.
std::vector<graph::RunNodes> grid_run_nodes(const StageEnvironment& env,
                                            const config::GridConfig& grid,
                                            const std::string& root);

// The graph of several studies (one study, or the points of a sweep) and of a grid.
graph::StageGraph studies_graph(const StageEnvironment& env,
                                const std::vector<const config::StudyConfig*>& studies);
graph::StageGraph grid_graph(const StageEnvironment& env, const config::GridConfig& grid);

// The run directory of a study, and of each cell of a grid.
std::string study_run_directory(const config::StudyConfig& study);
std::string grid_pair_directory(const config::GridConfig& grid, const config::GridPair& pair);

}  // namespace fct::study
