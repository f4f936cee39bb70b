// Following submitted jobs to their end: SLURM is polled until it holds none of them, then the exit
// status each job (array task) left in its status directory says which succeeded.
#pragma once

#include <chrono>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "framework/submit/batch_job.h"
#include "framework/submit/batch_script.h"
#include "framework/submit/slurm_client.h"

namespace fct::submit {

struct SubmittedJob {
  BatchJob job;
  ScriptPaths paths;
  std::string id;  // SLURM's job id
};

struct WaitOptions {
  double timeout_s = 0;  // Error after this long, the jobs going on (0 = no limit)
  std::chrono::milliseconds poll{2000};
  // The ids among its argument that are still queued or running (slurm_client's jobs_in_queue).
  std::function<std::vector<std::string>(const std::vector<std::string>&)> queued = jobs_in_queue;
};

// Waits until SLURM holds none of `jobs`, then names on `out` every job or array task that failed
// or never ran, with its log and the graph nodes it was to build. True when every one exited 0.
bool wait_for_jobs(const std::vector<SubmittedJob>& jobs, const WaitOptions& options,
                   std::ostream& out);

}  // namespace fct::submit
