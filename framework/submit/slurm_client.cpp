#include "framework/submit/slurm_client.h"

#include <algorithm>
#include <sstream>

#include "framework/core/error.h"
#include "framework/core/subprocess.h"
#include "framework/core/trim.h"
#include "framework/submit/shell_quote.h"

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
                " is not installed here (or not in PATH): " + trim(result.output, " \t\r\n"));
  if (result.timed_out)
    throw Error(shell_command_line(command) + ": no answer within " +
                std::to_string(static_cast<int>(kDeadline)) + " s (is slurmctld up?)");
  return result;
}

}  // namespace

std::string sbatch(const std::vector<std::string>& command) {
  const auto result = checked(command);
  // --parsable prints "<id>" or "<id>;<cluster>".
  const std::string id = trim(result.output.substr(0, result.output.find(';')), " \t\r\n");
  const bool numeric =
      !id.empty() && std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (result.exit_code != 0 || !numeric)
    throw Error("sbatch refused the job (exit " + std::to_string(result.exit_code) + "): " +
                trim(result.output, " \t\r\n") + "\n  command: " + shell_command_line(command));
  return id;
}

std::map<std::string, QueueState> job_states(const std::vector<std::string>& job_ids) {
  std::map<std::string, QueueState> states;
  for (const auto& id : job_ids) {
    // One id at a time: squeue fails for the whole list when one id is no longer known.
    const auto result = checked({"squeue", "--noheader", "--format=%F %T", "--jobs=" + id});
    if (result.exit_code != 0) {
      if (result.output.find("Invalid job id") != std::string::npos) continue;  // long gone
      throw Error("squeue failed for job " + id + ": " + trim(result.output, " \t\r\n"));
    }
    std::istringstream lines(result.output);
    std::string job, state;
    while (lines >> job >> state) {
      auto& known = states.emplace(id, QueueState::kWaiting).first->second;
      if (state == "RUNNING") known = QueueState::kRunning;  // an array runs while a task does
    }
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
