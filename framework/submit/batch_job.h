// One SLURM job of a submission: what fct runs, on how many ranks, after which other jobs, and
// whether it is a job array. A submission is a list of these in an order where every job's
// dependencies come before it (framework/submit/graph_jobs.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fct::submit {

// In BatchJob::fct_arguments: replaced by the task's index in a job array.
inline const std::string kArrayTaskId = "{array_task_id}";

// What a job waits for: an earlier job of the plan, or one task of it when that job is an array —
// a job waits for exactly the tasks that build its inputs, so that a failed or cancelled task
// takes only its own descendants with it.
struct JobDependency {
  std::size_t job = 0;
  int64_t task = -1;  // -1: the whole job
  bool operator==(const JobDependency& other) const {
    return job == other.job && task == other.task;
  }
  bool operator<(const JobDependency& other) const {
    return job != other.job ? job < other.job : task < other.task;
  }
};

struct BatchJob {
  std::string name;                        // job name and log file name (a plain name)
  std::string description;                 // a comment at the top of the script
  std::vector<std::string> fct_arguments;  // after the fct binary; quoted in the script
  int64_t array_size = 0;                  // > 0: tasks 0..array_size-1 (--array)
  std::vector<JobDependency> after;    // earlier jobs (tasks) of the plan that must succeed first
  std::vector<std::string> after_ids;  // jobs ("id" or "id_task") of an earlier submission, queued
  bool all_ranks = true;               // false: one rank on one node (summaries)
  bool light =
      false;  // the profile's light shape (embedding, h, evaluation) instead of its full one
  std::vector<std::string> keys;   // the graph nodes it builds (an array: one per task, in order)
  std::vector<std::string> kinds;  // their kinds
};

}  // namespace fct::submit
