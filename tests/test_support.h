// Helpers shared by the test suites: scratch directories and running a command with a deadline.
#pragma once

#include <string>
#include <vector>

#include "framework/core/subprocess.h"

namespace fct::testing {

// A fresh directory under the system's temporary directory, removed at the end of the test unless
// the test failed: then it stays, and its path is printed.
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

// Running a command with a deadline (the hang guard of fault-injection tests) is the framework's
// own (framework/core/subprocess.h).
using fct::CommandResult;
using fct::run_command;

// The built `fct` binary and the mpirun of the build.
std::string fct_binary();
// The checkout the tests were built from (experiments/, launch/).
std::string source_directory();
std::string mpiexec();

void write_text_file(const std::string& path, const std::string& text);
std::string read_text_file(const std::string& path);

}  // namespace fct::testing
