// `fct status RUN_DIR [--json]`: the stage graph of a study, sweep or grid run — every node with
// its kind, short key, state (cached, running, partial, to run; for a submitted run also queued,
// running, failed and never ran, with the job and its log), wall time and the run it was built
// for — as a table, or as JSON on standard output; graph.svg beside it is redrawn.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "framework/cli/commands.h"
#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/graph/graph_record.h"
#include "framework/study/run_layout.h"
#include "framework/submit/slurm_client.h"
#include "framework/submit/submission_record.h"

namespace fct::cli {
namespace {

struct StatusArguments {
  std::string directory;
  bool json = false;
};

// A sweep keeps its graph in <run>/sweep/: accept the run directory too.
std::string graph_directory(const std::string& directory) {
  const std::string sweep = study::sweep_directory_of(directory);
  if (!std::filesystem::exists(directory + "/graph.json") &&
      std::filesystem::exists(sweep + "/graph.json"))
    return sweep;
  return directory;
}

// Nodes not in the cache that a submission sent to SLURM: queued, running, failed (with the log
// to read) or never ran.
void add_job_states(const std::string& run_directory, std::vector<graph::NodeStatus>& nodes) {
  const auto jobs = submit::submitted_node_jobs(run_directory);
  if (jobs.empty()) return;
  std::vector<std::string> ids;
  for (const auto& [key, job] : jobs) ids.push_back(job.job_id);
  std::map<std::string, submit::QueueState> queue;
  try {
    queue = submit::job_states(ids);
  } catch (const Error& e) {
    spdlog::warn("SLURM's queue cannot be read ({}): job states are from exit files only",
                 e.what());
  }
  for (auto& node : nodes) {
    if (node.state == graph::BuildState::kCached) continue;
    const auto job = jobs.find(node.key);
    if (job == jobs.end()) continue;
    const submit::JobOutcome outcome = submit::node_job_state(job->second, queue);
    switch (outcome.state) {
      case submit::JobOutcome::State::kSucceeded:
        continue;  // built, perhaps since removed from the cache
      case submit::JobOutcome::State::kQueued:
        node.state = graph::BuildState::kQueued;
        break;
      case submit::JobOutcome::State::kRunning:
        node.state = graph::BuildState::kRunning;
        break;
      case submit::JobOutcome::State::kFailed:
        node.state = graph::BuildState::kFailed;
        break;
      case submit::JobOutcome::State::kNeverRan:
        node.state = graph::BuildState::kNeverRan;
        break;
    }
    node.detail = "job " + job->second.job_id +
                  (job->second.task >= 0 ? "_" + std::to_string(job->second.task) : "") + " " +
                  outcome.describe() + ", log " + job->second.log;
  }
}

void show_status(const StatusArguments& args, const CommandContext& context) {
  if (context.rank_info.rank != 0) return;
  const std::string directory = graph_directory(args.directory);
  auto nodes = graph::read_graph_status(directory);
  add_job_states(
      study::is_sweep_directory(directory) ? study::run_directory_of_sweep(directory) : directory,
      nodes);
  write_text_atomically(directory + "/graph.svg",
                        graph::graph_svg(nodes, "stage graph of " + directory));
  if (args.json)
    std::cout << graph::status_json(nodes).dump(2) << "\n" << std::flush;
  else
    std::cout << graph::status_table(nodes) << "graph: " << directory << "/graph.svg\n"
              << std::flush;
}

}  // namespace

void add_status_command(CLI::App& app, const CommandContext& context) {
  auto args = std::make_shared<StatusArguments>();
  CLI::App* command = app.add_subcommand(
      "status", "Show the stage graph of a run: each node's kind, key, state and wall time");
  command->add_option("run_directory", args->directory, "run directory of a study, sweep or grid")
      ->required();
  command->add_flag("--json", args->json, "one JSON object per node on standard output");
  command->callback([args, &context] { show_status(*args, context); });
}

}  // namespace fct::cli
