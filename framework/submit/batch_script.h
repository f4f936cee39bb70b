// The batch script of a job and the sbatch command that submits it. Resources, names and paths go
// on sbatch's command line (an argument vector, no shell); the script holds fct's command with
// every word single-quoted, forwards the USR2 that SLURM sends before the time limit to fct — which
// writes a checkpoint and exits with kCheckpointExit — and then requeues the job, which resumes
// from the checkpoint when it starts again. Each run leaves <status dir>/<job>[_<task>].exit for
// `--wait`.
#pragma once

#include <string>
#include <vector>

#include "framework/config/cluster_profile.h"
#include "framework/submit/batch_job.h"

namespace fct::submit {

// fct's exit status after a checkpoint on USR2 (EX_TEMPFAIL): requeue me.
constexpr int kCheckpointExit = 75;

struct ScriptPaths {
  std::string working_directory;  // absolute: jobs run here (relative paths of the config)
  std::string log_directory;      // absolute
  std::string status_directory;   // absolute
  std::string script;             // absolute path the script is written to
};

std::string render_batch_script(const BatchJob& job, const config::ClusterProfile& profile,
                                const ScriptPaths& paths);

// sbatch --parsable ... <script>; `dependencies` are the job ids of job.after.
std::vector<std::string> sbatch_command(const BatchJob& job, const config::ClusterProfile& profile,
                                        const ScriptPaths& paths,
                                        const std::vector<std::string>& dependencies);

// The log file of one job as sbatch --output takes it (%j, or %A_%a for array tasks).
std::string log_file_pattern(const BatchJob& job, const ScriptPaths& paths);
// The exit status a job's script leaves when it ends (array task `task`, -1 for none).
std::string exit_file(const BatchJob& job, const ScriptPaths& paths, int64_t task);
// The file SLURM writes for job `id` (and array task `task`, -1 for none).
std::string log_file(const BatchJob& job, const ScriptPaths& paths, const std::string& id,
                     int64_t task);

}  // namespace fct::submit
