// The SLURM commands fct submit uses (sbatch, squeue, scancel), run without a shell. Their errors
// come back as exceptions holding the command and what it printed.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "framework/submit/slurm_output.h"

namespace fct::submit {

// Runs an `sbatch --parsable ...` command; returns the job id.
std::string sbatch(const std::vector<std::string>& command);

// The ids among `job_ids` that SLURM still holds as pending, running, requeued, ... (an array's
// tasks count under the array's id).
std::vector<std::string> jobs_in_queue(const std::vector<std::string>& job_ids);

// The state of each of `job_ids` that SLURM still holds; ids it no longer holds are left out.
std::map<std::string, QueueState> job_states(const std::vector<std::string>& job_ids);

// Cancels jobs, best effort (a submission that failed half-way).
void scancel(const std::vector<std::string>& job_ids);

}  // namespace fct::submit
