// run_command (framework/core/subprocess.h): arguments reach the program as they are (no shell),
// output and exit status come back, a program that cannot start is exit 127, the environment can
// be thinned, and at its deadline mpirun and every rank go, not only mpirun's process group (Open
// MPI gives each rank a process group of its own).
#include "framework/core/subprocess.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

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
  EXPECT_FALSE(result.started);
  EXPECT_EQ(result.exit_code, 127) << result.output;
  EXPECT_TRUE(run_command({"sh", "-c", "exit 127"}, 30).started);
}

TEST(Subprocess, AMissingWorkingDirectoryIsExit127NamingIt) {
  const auto result = run_command({"true"}, 30, "/fct-no-such-directory");
  EXPECT_EQ(result.exit_code, 127) << result.output;
  EXPECT_NE(result.output.find("/fct-no-such-directory"), std::string::npos) << result.output;
}

// What fct has open (HDF5 files, MPI's sockets) must not reach sbatch or git.
TEST(Subprocess, TheParentsDescriptorsDoNotLeakIntoTheChild) {
  const int fd = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(fd, 3);
  const auto result = run_command(
      {"sh", "-c",
       "if [ -e /proc/$$/fd/" + std::to_string(fd) + " ]; then echo open; else echo closed; fi"},
      30);
  ::close(fd);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "closed\n");
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
