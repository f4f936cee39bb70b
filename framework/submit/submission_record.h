// What earlier submissions of a run sent to SLURM, read back from their jobs.json: which job (and
// array task) builds each graph node, its log, and what became of it — so that `fct submit` sends
// again only what is neither cached nor queued, and `fct status` shows queued, running and failed
// nodes with the log to read.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "framework/submit/slurm_client.h"

namespace fct::submit {

struct NodeJob {
  std::string key;
  std::string job_id;
  std::string job_name;
  int64_t task = -1;      // the array task that builds it; -1: not an array
  std::string log;        // the job's (task's) log file
  std::string exit_file;  // written by the job's script when it ends
};

// Every node job of the submissions in <run_directory>/submit/*/jobs.json; for a node sent more
// than once, the newest submission's. Unreadable records are skipped with a warning.
std::map<std::string, NodeJob> submitted_node_jobs(const std::string& run_directory);

// What became of a node's job (its array task).
struct JobOutcome {
  enum class State { kQueued, kRunning, kSucceeded, kFailed, kNeverRan };
  State state = State::kNeverRan;
  int exit_status = -1;  // kSucceeded, kFailed

  bool in_queue() const { return state == State::kQueued || state == State::kRunning; }
  // "queued", "running", "succeeded", "failed (status N)" or "never ran".
  std::string describe() const;
};

// From the exit status the job's script left and, while it has none, SLURM's queue (`queue` is
// job_states() of the ids). Never ran: no longer queued and no exit status (cancelled, or a job
// it waits for failed).
JobOutcome node_job_state(const NodeJob& job, const std::map<std::string, QueueState>& queue);

}  // namespace fct::submit
