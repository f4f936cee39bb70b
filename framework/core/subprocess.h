// Running another program (sbatch, scontrol, a test's `fct`) without a shell: arguments go to
// execvp as they are, so no value can be split or expanded; output is captured, and a deadline
// kills the whole process group (mpirun and its ranks together).
#pragma once

#include <string>
#include <vector>

namespace fct {

struct CommandResult {
  int exit_code = -1;      // the process's exit status; -1 when it had to be killed
  bool timed_out = false;  // true when it outlived the deadline (then it is killed)
  double seconds = 0.0;
  std::string output;  // stdout and stderr together
};

// Runs `argv` (argv[0] looked up in PATH) in `working_dir` ("" = here), with this process's
// environment less the variables whose names start with one of `drop_environment`. Exit code
// 127: it could not be started.
CommandResult run_command(const std::vector<std::string>& argv, double deadline_s,
                          const std::string& working_dir = "",
                          const std::vector<std::string>& drop_environment = {});

}  // namespace fct
