#include "framework/submit/slurm_client.h"

#include "framework/core/error.h"
#include "framework/core/printable_text.h"
#include "framework/core/subprocess.h"
#include "framework/core/trim.h"
#include "framework/submit/shell_quote.h"
#include "framework/submit/slurm_output.h"

namespace fct::submit {
namespace {

constexpr double kDeadline = 120.0;  // a slurmctld that does not answer in this long is down

// fct itself runs as an MPI singleton, whose Open MPI/PMIx variables sbatch would hand on to the
// job, where they make mpirun believe it is already inside an MPI job and fail without a word.
const std::vector<std::string> kMpiEnvironment = {"OMPI_", "PMIX_", "OPAL_", "ORTE_", "PRTE_"};

CommandResult checked(const std::vector<std::string>& command) {
  const auto result = run_command(command, kDeadline, "", kMpiEnvironment);
  if (!result.started)
    throw Error(command.at(0) +
                " is not installed here (or not in PATH): " +
                printable_text(trim(result.output, " \t\r\n")));
  if (result.timed_out)
    throw Error(shell_command_line(command) + ": no answer within " +
                std::to_string(static_cast<int>(kDeadline)) + " s (is slurmctld up?)");
  return result;
}

}  // namespace

std::string sbatch(const std::vector<std::string>& command) {
  const auto result = checked(command);
  return parse_sbatch_output(result.exit_code, result.output, shell_command_line(command));
}

std::map<std::string, QueueState> job_states(const std::vector<std::string>& job_ids) {
  std::map<std::string, QueueState> states;
  for (const auto& id : job_ids) {
    // One id at a time: squeue fails for the whole list when one id is no longer known.
    const auto result = checked({"squeue", "--noheader", "--format=%F %T", "--jobs=" + id});
    parse_squeue_output(id, result.exit_code, result.output, states);
  }
  return states;
}

std::vector<std::string> jobs_in_queue(const std::vector<std::string>& job_ids) {
  std::vector<std::string> queued;
  for (const auto& [id, state] : job_states(job_ids)) queued.push_back(id);
  return queued;
}

void scancel(const std::vector<std::string>& job_ids) {
  if (job_ids.empty()) return;
  std::vector<std::string> command = {"scancel"};
  command.insert(command.end(), job_ids.begin(), job_ids.end());
  run_command(command, kDeadline, "", kMpiEnvironment);
}

}  // namespace fct::submit
