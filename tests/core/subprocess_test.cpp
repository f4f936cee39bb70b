// run_command (framework/core/subprocess.h): arguments reach the program as they are (no shell),
// output and exit status come back, a program that cannot start is exit 127, the environment can
// be thinned, and at its deadline mpirun and every rank go, not only mpirun's process group (Open
// MPI gives each rank a process group of its own).
#include "framework/core/subprocess.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "tests/test_support.h"

namespace fct {
namespace {

TEST(Subprocess, ArgumentsAreNotSplitOrExpanded) {
  const auto result = run_command({"printf", "%s|", "a b", "$HOME", "*", "'q'"}, 30);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.output, "a b|$HOME|*|'q'|");
}

TEST(Subprocess, ExitStatusAndBothStreamsComeBack) {
  const auto result = run_command({"sh", "-c", "echo out; echo err >&2; exit 3"}, 30);
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.output.find("out"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("err"), std::string::npos) << result.output;
}

TEST(Subprocess, AProgramThatCannotStartIsExit127) {
  const auto result = run_command({"fct-no-such-program-here"}, 30);
  EXPECT_EQ(result.exit_code, 127) << result.output;
}

TEST(Subprocess, RunsInTheGivenDirectoryWithoutTheDroppedVariables) {
  testing::ScratchDir dir("fct-subprocess");
  ::setenv("FCT_TEST_DROPPED_ONE", "x", 1);
  ::setenv("FCT_TEST_KEPT", "y", 1);
  const auto result = run_command({"sh", "-c", "pwd; env | grep '^FCT_TEST_' | sort"}, 30,
                                  dir.path(), {"FCT_TEST_DROPPED"});
  ::unsetenv("FCT_TEST_DROPPED_ONE");
  ::unsetenv("FCT_TEST_KEPT");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find(dir.path() + "\n"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("FCT_TEST_KEPT=y"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("FCT_TEST_DROPPED_ONE"), std::string::npos) << result.output;
}

TEST(Subprocess, ADeadlineKillsMpirunAndEveryRank) {
  const std::string marker = "617.25";  // a sleep no other process on the machine runs
  std::vector<std::string> argv = {testing::mpiexec(), "-np",       "2",
                                   "--oversubscribe",  "--bind-to", "none"};
  if (::geteuid() == 0) argv.push_back("--allow-run-as-root");
  argv.insert(argv.end(), {"sleep", marker});
  const auto result = run_command(argv, 4.0);
  EXPECT_TRUE(result.timed_out) << result.output;
  EXPECT_EQ(result.exit_code, -1);
  // pgrep exits 1 when nothing matches.
  const auto left = run_command({"pgrep", "-f", "sleep " + marker}, 30);
  EXPECT_EQ(left.exit_code, 1) << "ranks outlived the deadline: " << left.output;
}

}  // namespace
}  // namespace fct
