// launch/mpirun.sh: a hostfile listing localhost twice gives two ranks (with -np, and from
// --ranks-per-node), fct's defaults do not fight the user's own mapping, and bad launcher
// options are refused before mpirun starts.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/cli/cli_test_support.h"

namespace fct::testing {
namespace {

std::string launcher() {
  return source_directory() + "/launch/mpirun.sh";
}

int world_size_of(const std::string& run_directory) {
  const auto provenance = nlohmann::json::parse(read_text_file(run_directory + "/provenance.json"));
  return provenance.at("world_size").get<int>();
}

TEST(Launcher, AHostfileListingLocalhostTwiceRunsTwoRanks) {
  ScratchDir dir("fct-launch");
  write_text_file(dir.file("hosts"), "# two slots on this machine\nlocalhost\nlocalhost\n");
  write_text_file(dir.file("exp.yaml"), tiny_experiment_yaml(dir.file("run-np")));
  auto result = run_command({launcher(), "--hostfile", dir.file("hosts"), "-np", "2", fct_binary(),
                             "train", dir.file("exp.yaml"), "--no-progress", "schedule.epochs=1"},
                            300);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(world_size_of(dir.file("run-np")), 2);

  // Ranks per node x nodes in the hostfile (one distinct host): two ranks again.
  result = run_command({launcher(), "--hostfile", dir.file("hosts"), "--ranks-per-node", "2",
                        fct_binary(), "train", dir.file("exp.yaml"), "--no-progress",
                        "schedule.epochs=1", "output_dir=" + dir.file("run-ppr")},
                       300);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(world_size_of(dir.file("run-ppr")), 2);
}

TEST(Launcher, TheUsersMappingWinsAndBadOptionsAreRefused) {
  ScratchDir dir("fct-launch");
  write_text_file(dir.file("exp.yaml"), tiny_experiment_yaml(dir.file("run")));
  auto result =
      run_command({launcher(), "-np", "2", "--map-by", "core", "--oversubscribe", fct_binary(),
                   "train", dir.file("exp.yaml"), "--no-progress", "schedule.epochs=1"},
                  300);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(world_size_of(dir.file("run")), 2);

  result = run_command({launcher(), "--ranks-per-node", "two", fct_binary(), "--help"}, 60);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("positive integer"), std::string::npos) << result.output;
  result = run_command({launcher(), "--hostfile", dir.file("missing"), fct_binary()}, 60);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("cannot read hostfile"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace fct::testing
