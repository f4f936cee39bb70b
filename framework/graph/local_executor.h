// Runs a stage graph here, under the ranks of one mpirun, in dependency order, against the run
// cache. For each cached node rank 0 takes the node's lock: a node whose artifacts are there is
// reused; a missing one is built by all ranks into its partial directory and published (renamed
// under its key) — while another process (a second `fct run`, a SLURM job) that needs the same
// node waits on the lock and then reuses it. The locks stay held, shared, until the graph is done,
// so `fct cache gc` never removes a node a run is reading. A node that fails leaves nothing under
// its key; a training preempted at its time limit keeps its partial directory, whose checkpoint
// the next attempt resumes from.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "framework/distributed/communicator.h"
#include "framework/graph/graph_record.h"
#include "framework/graph/stage_graph.h"

namespace fct::graph {

struct ExecutionOptions {
  std::string artifacts_dir;  // the run cache's root (artifact_cache.h)
  // Which nodes this invocation may build (a part of a study run as one SLURM job). The others
  // must be in the cache already; a missing one is an error naming it. Empty = all.
  std::function<bool(const GraphNode&)> selected;
  // Where graph.json and graph.svg go (graph_record.h): the study's, sweep's or grid's own run
  // directory. "" = nowhere.
  std::string record_directory;
  // Plan only: report each node's state (ExecutionReport::plan, on rank 0); write and build
  // nothing.
  bool dry_run = false;
  // How often the ranks ask again for a node another process is building.
  std::chrono::milliseconds lock_poll{1000};
  // A line that the caller prints when a node is not selected and not cached.
  std::function<std::string(const GraphNode&)> missing_hint;
};

// What happened to one node in this invocation.
struct NodeOutcome {
  std::string key;
  std::string state;  // "built", "reused", "skipped" (not selected, cached)
  double seconds = 0.0;
};

struct ExecutionReport {
  std::vector<NodeOutcome> nodes;
  double seconds = 0.0;  // spent building
  int built = 0;
  int reused = 0;
  std::vector<NodeStatus> plan;  // dry runs
};

// Collective over `comm`.
ExecutionReport execute_locally(const StageGraph& graph, distributed::Communicator& comm,
                                const ExecutionOptions& options);

}  // namespace fct::graph
