#include "framework/submit/slurm_output.h"

#include <algorithm>
#include <sstream>

#include "framework/core/error.h"
#include "framework/core/printable_text.h"
#include "framework/core/trim.h"

namespace fct::submit {

std::string parse_sbatch_output(int exit_code, const std::string& output,
                                const std::string& command_line) {
  std::string id = trim(output.substr(0, output.find(';')), " \t\r\n");
  const bool numeric =
      !id.empty() && std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (exit_code != 0 || !numeric)
    throw Error("sbatch refused the job (exit " + std::to_string(exit_code) +
                "): " + printable_text(trim(output, " \t\r\n")) + "\n  command: " + command_line);
  return id;
}

void parse_squeue_output(const std::string& id, int exit_code, const std::string& output,
                         std::map<std::string, QueueState>& states) {
  if (exit_code != 0) {
    if (output.find("Invalid job id") != std::string::npos) return;  // long gone
    throw Error("squeue failed for job " + id + ": " + printable_text(trim(output, " \t\r\n")));
  }
  std::istringstream lines(output);
  std::string job, state;
  while (lines >> job >> state) {
    auto& known = states.emplace(id, QueueState::kWaiting).first->second;
    if (state == "RUNNING") known = QueueState::kRunning;  // an array runs while a task does
  }
}

}  // namespace fct::submit
