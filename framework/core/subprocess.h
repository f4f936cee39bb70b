// Running another program (sbatch, scontrol, git, a test's `fct`) without a shell: posix_spawnp,
// so a large rank is not forked and none of its descriptors (from 3 up) reach the child; arguments
// go to the program as they are, so no value can be split or expanded; output is captured, and the
// program runs in a session of its own, which a deadline kills whole: mpirun and its ranks
// together (Open MPI puts every rank in a process group of its own, so killing mpirun's group is
// not enough).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace fct {

struct CommandResult {
  bool started = true;     // false: it could not be started (exit_code 127, output says why)
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

// The processes of session `sid` that are not entirely gone yet (from /proc). A killed
// multi-threaded process shows its leader as a zombie while its other threads still exit and still
// hold its files (an HDF5 lock, say): it counts until only the leader is left.
std::vector<pid_t> session_processes(pid_t sid);

// SIGKILLs every process of session `sid` until none is left (about 5 s at most); false if some
// survive.
bool kill_session(pid_t sid);

}  // namespace fct
