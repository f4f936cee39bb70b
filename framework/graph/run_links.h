// How a run directory shows the nodes it used: today's layout (old/model.pt, stores/new.h5,
// fct_si/, features/train.h5 …) as symbolic links into the run cache, and artifacts.json, the
// manifest `fct cache` reads to know which runs reference which artifacts.
#pragma once

#include <string>

#include "framework/graph/stage_graph.h"

namespace fct::graph {

// <run>/artifacts.json: every cached node the run references, by kind, key and id.
void write_run_manifest(const StageGraph& graph, const std::string& run_directory,
                        const std::string& artifacts_dir);

// Links every run directory that references `node` to its artifacts (StageNode::links). A link
// is replaced atomically; a real file or directory in its place (a run directory written before
// the run cache existed) is moved aside to <path>.before-cache, never deleted.
void link_node(const GraphNode& node, const std::string& artifacts_dir);

}  // namespace fct::graph
