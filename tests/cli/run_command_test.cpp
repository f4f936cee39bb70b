// run_command (framework/core/subprocess.h) at its deadline: mpirun and every rank go, not only
// mpirun's process group (Open MPI gives each rank a process group of its own).
#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/cli/cli_test_support.h"

namespace fct::testing {
namespace {

TEST(RunCommand, ADeadlineKillsMpirunAndEveryRank) {
  const std::string marker = "617.25";  // a sleep no other process on the machine runs
  std::vector<std::string> argv = {mpiexec(), "-np", "2", "--oversubscribe", "--bind-to", "none"};
  if (::geteuid() == 0) argv.push_back("--allow-run-as-root");
  argv.insert(argv.end(), {"sleep", marker});
  const auto result = run_command(argv, 4.0);
  EXPECT_TRUE(result.timed_out) << result.output;
  // pgrep exits 1 when nothing matches.
  const auto left = run_command({"pgrep", "-f", "sleep " + marker}, 30);
  EXPECT_EQ(left.exit_code, 1) << "ranks outlived the deadline: " << left.output;
}

}  // namespace
}  // namespace fct::testing
