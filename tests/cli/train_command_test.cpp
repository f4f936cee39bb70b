// `fct train` end to end under mpirun: the run directory holds the resolved config, provenance,
// metrics, checkpoint and model; bad input is a clear error.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_test_support.h"

namespace fct::testing {
namespace {

TEST(TrainCommand, TwoRanksWriteACompleteRunDirectory) {
  ScratchDir dir("fct-train");
  write_text_file(dir.file("exp.yaml"), tiny_experiment_yaml(dir.file("run")));
  const auto result =
      run_fct(2, {"train", dir.file("exp.yaml"), "optimizer.momentum=0.8", "--no-progress"}, 600);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  for (const char* name : {"config.yaml", "provenance.json", "metrics.csv", "metrics.jsonl",
                           "checkpoint.pt", "model.pt", "summary.json"}) {
    EXPECT_TRUE(std::filesystem::exists(dir.file("run/") + name)) << name;
  }
  // The resolved config carries the override and the defaults.
  const std::string resolved = read_text_file(dir.file("run/config.yaml"));
  EXPECT_NE(resolved.find("momentum: 0.8"), std::string::npos) << resolved;
  EXPECT_NE(resolved.find("bucket_mb"), std::string::npos) << resolved;

  const auto provenance = nlohmann::json::parse(read_text_file(dir.file("run/provenance.json")));
  EXPECT_EQ(provenance["world_size"], 2);
  EXPECT_FALSE(provenance["git_revision"].get<std::string>().empty());
  EXPECT_FALSE(provenance["versions"]["libtorch"].get<std::string>().empty());
  EXPECT_NE(provenance["versions"]["mpi"].get<std::string>().find("MPI"), std::string::npos);
  EXPECT_FALSE(provenance["versions"]["hdf5"].get<std::string>().empty());
  EXPECT_NE(provenance["command_line"].dump().find("optimizer.momentum=0.8"), std::string::npos);

  // One CSV row per epoch after the header.
  const std::string csv = read_text_file(dir.file("run/metrics.csv"));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3) << csv;
  const auto summary = nlohmann::json::parse(read_text_file(dir.file("run/summary.json")));
  EXPECT_EQ(summary["epochs_done"], 2);
  EXPECT_GT(summary["val_accuracy"].get<double>(), 0.1);  // better than chance on 10 classes
}

TEST(TrainCommand, ConfigErrorNamesFileLineAndKeyAndExitsNonZero) {
  ScratchDir dir("fct-train-bad");
  write_text_file(dir.file("exp.yaml"), "name: bad\nschedule:\n  epochz: 3\n");
  const auto result = run_fct(2, {"train", dir.file("exp.yaml")}, 120);
  EXPECT_FALSE(result.timed_out);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("exp.yaml:3:3"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("did you mean 'epochs'"), std::string::npos) << result.output;
  EXPECT_FALSE(std::filesystem::exists(dir.file("runs")));
}

TEST(TrainCommand, BadOverrideIsRejected) {
  ScratchDir dir("fct-train-override");
  write_text_file(dir.file("exp.yaml"), tiny_experiment_yaml(dir.file("run")));
  const auto result = run_fct(1, {"train", dir.file("exp.yaml"), "optimizer.lrr=0.1"}, 120);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("optimizer.lrr"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("did you mean"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace fct::testing
