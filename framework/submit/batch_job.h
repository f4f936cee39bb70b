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

struct BatchJob {
  std::string name;                        // job name and log file name (a plain name)
  std::string description;                 // a comment at the top of the script
  std::vector<std::string> fct_arguments;  // after the fct binary; quoted in the script
  int64_t array_size = 0;                  // > 0: tasks 0..array_size-1 (--array)
  std::vector<std::size_t> after;          // earlier jobs of the plan that must succeed first
  std::vector<std::string> after_ids;      // jobs of an earlier submission, still queued
  bool all_ranks = true;                   // false: one rank on one node (summaries)
  bool light =
      false;  // the profile's light shape (embedding, h, evaluation) instead of its full one
  std::vector<std::string> keys;   // the graph nodes it builds (an array: one per task, in order)
  std::vector<std::string> kinds;  // their kinds
};

}  // namespace fct::submit
