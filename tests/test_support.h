// Helpers shared by the test suites: scratch directories and running a command with a deadline.
#pragma once

#include <string>
#include <vector>

namespace fct::testing {

// A fresh directory under the system temp dir, removed when the object dies.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag = "fct-test");
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;      // the process's exit status; -1 when it had to be killed
  bool timed_out = false;  // true when it outlived the deadline (then it is killed)
  double seconds = 0.0;
  std::string output;  // stdout and stderr together
};

// Runs `argv` (argv[0] looked up in PATH) with a deadline; the hang guard of fault-injection
// tests. Kills the whole process group at the deadline.
CommandResult run_command(const std::vector<std::string>& argv, double deadline_s,
                          const std::string& working_dir = "");

// The built `fct` binary and the mpirun of the build.
std::string fct_binary();
// The checkout the tests were built from (experiments/, launch/).
std::string source_directory();
std::string mpiexec();

void write_text_file(const std::string& path, const std::string& text);
std::string read_text_file(const std::string& path);

}  // namespace fct::testing
