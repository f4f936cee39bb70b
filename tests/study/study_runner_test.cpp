// The study runner's settings (study_runner.h): the parts a study runs in, where its run cache is
// (the config's artifacts_dir, else $FCT_ARTIFACTS_DIR, else a cache/ beside the run directory),
// what execution_options takes from StudyOptions (cache, record directory, dry run, the nodes a
// job may build and the hint for the others), an unknown part refused before anything happens, and
// a dry run that plans every node of the study and writes nothing.
#include "framework/study/study_runner.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "framework/core/error.h"
#include "framework/graph/artifact_cache.h"
#include "tests/graph/solo_communicator.h"
#include "tests/study_names.h"
#include "tests/test_support.h"

namespace fct::study {
namespace {

namespace fs = std::filesystem;
using fct::testing::ScratchDir;
using Strings = std::vector<std::string>;

// Sets (or unsets) $FCT_ARTIFACTS_DIR for one test and puts the old value back.
class ArtifactsVariable {
 public:
  explicit ArtifactsVariable(const char* value) {
    if (const char* old = std::getenv(graph::kArtifactsDirVariable)) saved_ = old;
    if (value)
      ::setenv(graph::kArtifactsDirVariable, value, 1);
    else
      ::unsetenv(graph::kArtifactsDirVariable);
  }
  ~ArtifactsVariable() {
    if (saved_)
      ::setenv(graph::kArtifactsDirVariable, saved_->c_str(), 1);
    else
      ::unsetenv(graph::kArtifactsDirVariable);
  }

 private:
  std::optional<std::string> saved_;
};

config::StudyConfig study_in(const std::string& output_dir, const std::string& artifacts_dir = "") {
  config::StudyConfig study;
  study.name = "runner-test";
  study.output_dir = output_dir;
  study.artifacts_dir = artifacts_dir;
  return study;
}

// `relative` against the current directory, as the cache's root is recorded.
std::string here(const std::string& relative) {
  return (fs::current_path() / relative).lexically_normal().string();
}

TEST(StudyRunner, ThePartsAreTheFourTrainingsThenTheCompatibilityNodes) {
  EXPECT_EQ(study_parts(), (Strings{"old", "side_info", "new", "bct", "compatibility"}));
}

TEST(StudyRunner, TheRunCacheIsTheConfigsThenTheVariablesThenBesideTheRunDirectory) {
  {
    ArtifactsVariable unset(nullptr);
    EXPECT_EQ(study_artifacts_dir(study_in("/data/runs/s")), "/data/runs/cache");
    // Made absolute and normal: a run directory given relative or with '..' names one cache.
    EXPECT_EQ(study_artifacts_dir(study_in("/data/x/../runs/s")), "/data/runs/cache");
    EXPECT_EQ(study_artifacts_dir(study_in("")), here("runs/cache"));
    EXPECT_EQ(study_artifacts_dir(study_in("", "shared/cache/")), here("shared/cache"));
  }
  {
    ArtifactsVariable set("/scratch/fct-cache");
    EXPECT_EQ(study_artifacts_dir(study_in("/data/runs/s")), "/scratch/fct-cache");
    // The config's own setting wins over the variable.
    EXPECT_EQ(study_artifacts_dir(study_in("/data/runs/s", "/mine")), "/mine");
  }
  {
    ArtifactsVariable empty("");  // an empty variable counts as unset
    EXPECT_EQ(study_artifacts_dir(study_in("/data/runs/s")), "/data/runs/cache");
  }
}

TEST(StudyRunner, ExecutionOptionsTakeTheCacheRecordDirectoryAndDryRun) {
  ArtifactsVariable unset(nullptr);
  StudyOptions options;
  options.dry_run = true;
  auto execution = execution_options(options, study_in("/data/runs/s"), "/data/runs/s");
  EXPECT_EQ(execution.artifacts_dir, "/data/runs/cache");
  EXPECT_EQ(execution.record_directory, "/data/runs/s");
  EXPECT_TRUE(execution.dry_run);
  // No node list: the caller decides what is selected (a part, or everything).
  EXPECT_FALSE(static_cast<bool>(execution.selected));
  EXPECT_FALSE(static_cast<bool>(execution.missing_hint));

  // StudyOptions::artifacts_dir overrides the study's, made absolute.
  options.artifacts_dir = "relative/cache/";
  options.dry_run = false;
  execution = execution_options(options, study_in("/data/runs/s", "/ignored"), "/rec");
  EXPECT_EQ(execution.artifacts_dir, here("relative/cache"));
  EXPECT_EQ(execution.record_directory, "/rec");
  EXPECT_FALSE(execution.dry_run);
}

TEST(StudyRunner, AJobBuildsOnlyItsNodesAndSaysWhyAnotherIsMissing) {
  StudyOptions options;
  options.nodes = {"00000000000000aa", "00000000000000bb"};
  const auto execution = execution_options(options, study_in("/data/runs/s", "/cache"), "");
  ASSERT_TRUE(static_cast<bool>(execution.selected));
  graph::GraphNode node;
  node.key = "00000000000000bb";
  EXPECT_TRUE(execution.selected(node));
  node.key = "00000000000000cc";
  EXPECT_FALSE(execution.selected(node));
  ASSERT_TRUE(static_cast<bool>(execution.missing_hint));
  EXPECT_EQ(execution.missing_hint(node),
            "the job that builds it has not succeeded (fct status RUN_DIR)");
}

config::LoadedConfig<config::StudyConfig> loaded_study(const std::string& output_dir,
                                                       const std::string& cache) {
  return config::parse_config<config::StudyConfig>(
      "name: runner-test\nold: {classes: [0, 1]}\n", "s.yaml",
      {"output_dir=" + output_dir, "artifacts_dir=" + cache}, fct::testing::study_names());
}

TEST(StudyRunner, AnUnknownPartIsRefusedBeforeAnythingIsWritten) {
  ScratchDir dir("fct-study-runner");
  testing::SoloCommunicator comm;
  const auto loaded = loaded_study(dir.file("run"), dir.file("cache"));
  StudyOptions options;
  options.part = "transformation";
  try {
    run_study(loaded, comm, options);
    FAIL() << "ran an unknown part";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown study part 'transformation' (old, side_info, "
                                         "new, bct, compatibility)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(dir.file("run")));
  EXPECT_FALSE(fs::exists(dir.file("cache")));
}

TEST(StudyRunner, ADryRunPlansEveryNodeAndWritesNothing) {
  ScratchDir dir("fct-study-runner");
  testing::SoloCommunicator comm;
  const auto loaded = loaded_study(dir.file("run"), dir.file("cache"));
  StudyOptions options;
  options.dry_run = true;
  options.show_progress = false;
  const auto outcome = run_study(loaded, comm, options);
  EXPECT_EQ(outcome.run_directory, dir.file("run"));
  EXPECT_FALSE(outcome.finished);
  EXPECT_EQ(outcome.built, 0);
  EXPECT_TRUE(outcome.rows.empty());
  ASSERT_EQ(outcome.plan.size(), 14u);  // the default study's nodes
  int trainings = 0;
  for (const auto& node : outcome.plan) {
    EXPECT_EQ(node.state, graph::BuildState::kToRun) << node.label;
    if (node.kind == "old" || node.kind == "side_info" || node.kind == "new" || node.kind == "bct")
      ++trainings;
  }
  EXPECT_EQ(trainings, 4);
  EXPECT_FALSE(fs::exists(dir.file("run")));
  EXPECT_FALSE(fs::exists(dir.file("cache")));
}

}  // namespace
}  // namespace fct::study
