// What a run directory knows of its graph: graph.json (every node with its kind, key, label,
// inputs and the runs that declared it, and the run cache it lives in), written when the graph is
// planned, and the node states that `fct status` reads back from the cache — cached, partial (a
// preempted training to resume), running (its lock is held), to run — with each node's wall time
// and the run it was built for. graph.svg draws the DAG in those states.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "framework/config/enum_names.h"
#include "framework/graph/stage_graph.h"

namespace fct::graph {

// A node's state as `fct status` shows it: from the cache (cached, partial, running, to run; per
// run for a run's own table) or, for nodes a submission sent, from SLURM (queued, running, failed,
// never ran).
enum class BuildState { kPerRun, kCached, kToRun, kRunning, kPartial, kQueued, kFailed, kNeverRan };
constexpr config::EnumNames<BuildState, 8> enum_names(BuildState) {
  return {{{BuildState::kPerRun, "per run"},
           {BuildState::kCached, "cached"},
           {BuildState::kToRun, "to run"},
           {BuildState::kRunning, "running"},
           {BuildState::kPartial, "partial"},
           {BuildState::kQueued, "queued"},
           {BuildState::kFailed, "failed"},
           {BuildState::kNeverRan, "never ran"}}};
}

// The graph as recorded in graph.json.
nlohmann::json graph_json(const StageGraph& graph, const std::string& artifacts_dir);

// <directory>/graph.json and graph.svg (states as the cache has them now), atomically.
void write_graph_record(const std::string& directory, const StageGraph& graph,
                        const std::string& artifacts_dir);

// One node as `fct status` shows it.
struct NodeStatus {
  std::string key;
  std::string kind;
  std::string label;
  BuildState state = BuildState::kToRun;
  double seconds = 0.0;           // wall time of its build (cached nodes)
  std::string built_for;          // the run directory it was first built for
  std::vector<std::string> runs;  // run directories of this graph that use it
  std::vector<std::string> input_keys;
  std::string detail;  // e.g. the log of a failed job
};

// The nodes of <directory>/graph.json with their present states. Throws fct::Error naming the
// file when it is missing or unreadable.
std::vector<NodeStatus> read_graph_status(const std::string& directory);
// The same for a graph in memory (a dry run, which writes nothing).
std::vector<NodeStatus> graph_status(const StageGraph& graph, const std::string& artifacts_dir);

nlohmann::json status_json(const std::vector<NodeStatus>& nodes);
std::string status_table(const std::vector<NodeStatus>& nodes);
// The DAG drawn in layers (a node one layer right of its deepest input), coloured by state.
std::string graph_svg(const std::vector<NodeStatus>& nodes, const std::string& title);

}  // namespace fct::graph
