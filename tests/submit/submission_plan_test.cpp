// Submission plans: a study's five parts with their afterok edges, a sweep as one array and a
// summary on one rank, a grid as one resumable job; every shipped cluster profile loads.
#include "framework/submit/submission_plan.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "framework/config/cluster_profile.h"
#include "framework/config/config_loader.h"
#include "tests/test_support.h"

namespace fct::submit {
namespace {

TEST(SubmissionPlan, StudyPartsWaitForTheModelsTheyRead) {
  SubmissionInput input;
  input.name = "my study";
  input.config_copy = "/r/submit/s.yaml";
  input.arguments = {"seed=1"};
  const auto jobs = plan_jobs(input);
  ASSERT_EQ(jobs.size(), 5u);
  EXPECT_EQ(jobs[0].name, "my_study-old");
  EXPECT_EQ(jobs[0].fct_arguments, (std::vector<std::string>{"run", "/r/submit/s.yaml", "seed=1",
                                                             "--part", "old", "--no-progress"}));
  EXPECT_TRUE(jobs[1].after.empty());
  EXPECT_EQ(jobs[3].after, (std::vector<std::size_t>{0}));  // bct reads the old model
  EXPECT_EQ(jobs[4].after, (std::vector<std::size_t>{0, 1, 2, 3}));
  EXPECT_EQ(jobs[4].fct_arguments[4], "compatibility");
}

TEST(SubmissionPlan, SweepIsAnArrayAndASummaryGridIsOneJob) {
  SubmissionInput input;
  input.kind = SubmissionKind::kSweep;
  input.name = "s";
  input.config_copy = "/c.yaml";
  input.arguments = {"side_info.model.embedding_dim=8,16,32"};
  input.sweep_points = 3;
  const auto jobs = plan_jobs(input);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].array_size, 3);
  EXPECT_EQ(jobs[0].fct_arguments,
            (std::vector<std::string>{"sweep", "/c.yaml", "side_info.model.embedding_dim=8,16,32",
                                      "--point", kArrayTaskId, "--no-progress"}));
  EXPECT_EQ(jobs[1].after, (std::vector<std::size_t>{0}));
  EXPECT_FALSE(jobs[1].all_ranks);
  EXPECT_EQ(jobs[1].fct_arguments[3], "--summarize");
  input.kind = SubmissionKind::kGrid;
  const auto grid = plan_jobs(input);
  ASSERT_EQ(grid.size(), 1u);
  EXPECT_EQ(grid[0].fct_arguments[0], "grid");
}

TEST(ClusterProfile, TimeLimitsAndShippedProfiles) {
  EXPECT_EQ(config::slurm_time_seconds("90"), 90 * 60);
  EXPECT_EQ(config::slurm_time_seconds("1:30"), 90);
  EXPECT_EQ(config::slurm_time_seconds("02:00:00"), 7200);
  EXPECT_EQ(config::slurm_time_seconds("1-02"), 26 * 3600);
  EXPECT_EQ(config::slurm_time_seconds("1-00:00:10"), 86410);
  EXPECT_EQ(config::slurm_time_seconds("1:2:3:4"), 0);
  EXPECT_EQ(config::slurm_time_seconds("ten"), 0);
  EXPECT_THROW(config::parse_config<config::ClusterProfile>("time_limit: 0\n", "p.yaml"),
               ConfigError);
  EXPECT_THROW(config::parse_config<config::ClusterProfile>("partition: 'a b'\n", "p.yaml"),
               ConfigError);
  EXPECT_THROW(config::parse_config<config::ClusterProfile>("launcher: ssh\n", "p.yaml"),
               ConfigError);
  int profiles = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(fct::testing::source_directory() + "/cluster")) {
    if (entry.path().extension() != ".yaml") continue;
    ++profiles;
    EXPECT_NO_THROW(config::load_config<config::ClusterProfile>(entry.path().string()))
        << entry.path();
  }
  EXPECT_GE(profiles, 2);
}

}  // namespace
}  // namespace fct::submit
