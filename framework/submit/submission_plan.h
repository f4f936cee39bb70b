// What `fct submit` sends to SLURM for each kind of file, as jobs and their afterok dependencies:
//   study  old, side_info, new (side by side) → bct (after old) → compatibility (after all four),
//          each `fct run <config> --part <part>`
//   sweep  one job array, a task per point (`fct sweep <config> --point $SLURM_ARRAY_TASK_ID`),
//          then the summary on one rank (`--summarize`)
//   grid   `fct grid <config>`: one job; its stages skip what is done, so a requeue resumes it
// The jobs read the copy of the file made at submission, so editing the file later changes nothing.
#pragma once

#include <string>
#include <vector>

#include "framework/submit/batch_job.h"

namespace fct::submit {

enum class SubmissionKind { kStudy, kSweep, kGrid };

std::string kind_name(SubmissionKind kind);

struct SubmissionInput {
  SubmissionKind kind = SubmissionKind::kStudy;
  std::string name;                    // the study's name (job names start with it)
  std::string config_copy;             // absolute path of the copied file
  std::vector<std::string> arguments;  // overrides (and sweep axes) as given
  int64_t sweep_points = 0;            // sweeps
};

std::vector<BatchJob> plan_jobs(const SubmissionInput& input);

}  // namespace fct::submit
