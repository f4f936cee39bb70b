// What `fct submit` sends to SLURM for a stage graph (framework/graph/stage_graph.h): the nodes
// that are neither in the run cache nor already queued become jobs. Each model training (old,
// side_info, new, bct) is a job of its own with the profile's full shape, so independent models
// train at the same time on separate allocations. The other nodes are light, with the profile's
// light shape: those of one kind at one depth of the graph that wait for the same tasks become one
// job array, a task per node. A job depends (afterok) on exactly the jobs — or, for an array, the
// array tasks — that build its nodes' inputs, in this submission or one still queued from an
// earlier one, so a failed or cancelled job cancels only its descendants. (An array's dependency
// holds for all its tasks, hence the grouping by what they wait for.) Every job runs the same fct
// command with `--nodes KEY,... [--node-index TASK]`.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "framework/submit/batch_job.h"

namespace fct::submit {

// What a submitted file is: a study, a sweep (its points share one graph), or a grid.
enum class SubmissionKind { kStudy, kSweep, kGrid };
std::string kind_name(SubmissionKind kind);

struct NodeToRun {
  std::string key;
  std::string kind;
  std::string label;
  std::vector<std::string> inputs;  // keys
  bool training = false;            // a job of its own, full resources
};

struct GraphSubmission {
  std::string name;                  // job names start with it
  std::vector<std::string> command;  // fct's subcommand, the config copy and the arguments
  std::vector<NodeToRun> nodes;      // to build, inputs before the nodes that read them
  // key → the queued job ("id") or array task ("id_task") of an earlier submission that builds it
  std::map<std::string, std::string> queued;
  // A last job on one rank after every other one ("sweep --summarize", "grid --summarize"); empty:
  // none.
  std::vector<std::string> summary_command;
};

// Jobs in an order where every job comes after those it depends on. An input that is neither
// built here nor queued is taken to be in the run cache (the caller knows which are).
std::vector<BatchJob> plan_graph_jobs(const GraphSubmission& submission);

}  // namespace fct::submit
