// What sbatch and squeue print, read back. Kept apart from running them (slurm_client.h) so the
// parsing can be tested and fuzzed on any text, including what a broken or foreign SLURM prints.
#pragma once

#include <map>
#include <string>

namespace fct::submit {

// The job id in `sbatch --parsable` output ("<id>" or "<id>;<cluster>"). Throws fct::Error quoting
// the output and `command_line` when sbatch failed (`exit_code` != 0) or printed no numeric id.
std::string parse_sbatch_output(int exit_code, const std::string& output,
                                const std::string& command_line);

// A job SLURM still holds: running (an array: any of its tasks), or waiting (pending, requeued,
// suspended, ...).
enum class QueueState { kWaiting, kRunning };

// Adds job `id`'s state from `squeue --noheader --format='%F %T' --jobs=<id>` output to `states`
// (an id squeue no longer knows adds nothing). Throws fct::Error naming the job when squeue failed.
void parse_squeue_output(const std::string& id, int exit_code, const std::string& output,
                         std::map<std::string, QueueState>& states);

}  // namespace fct::submit
