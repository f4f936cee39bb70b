// Planning a sweep (sweep_plan.h) from study files written here: is_sweep sees a sweep: block or
// an axis on the command line; plan_sweep loads the base without the block, puts the points
// under <run directory>/sweep/<NNN_label> with each point's overrides (plain overrides first,
// then its axes, then its output_dir), lets the command line replace a file axis, and refuses
// nothing to sweep, a malformed block, a bad value in the file and a bad point, naming the file
// or the override.
#include "framework/study/sweep_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "framework/core/error.h"
#include "tests/test_support.h"

namespace fct::study {
namespace {

using fct::testing::ScratchDir;
using fct::testing::write_text_file;
using Strings = std::vector<std::string>;

// The message of the ConfigError `plan` throws; fails the test when it does not throw.
template <class F>
std::string config_error(F plan) {
  try {
    plan();
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ConfigError";
  return "";
}

#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE((text).find(part), std::string::npos) << "'" << (part) << "' not in: " << (text)

// A study file in `dir` with `output_dir` there and `rest` appended.
std::string study_file(const ScratchDir& dir, const std::string& rest) {
  const std::string path = dir.file("study.yaml");
  write_text_file(path, "name: sweep-test\noutput_dir: " + dir.file("run") + "\n" + rest);
  return path;
}

const char* kBlock =
    "sweep:\n"
    "  mode: product\n"
    "  params:\n"
    "    side_info.model.embedding_dim: [8, 32]\n"
    "    seed: [0, 1]\n";

TEST(SweepPlan, IsASweepWithABlockOrACommandLineAxis) {
  ScratchDir dir("fct-sweep-plan");
  const std::string plain = study_file(dir, "seed: 3\n");
  EXPECT_FALSE(is_sweep(plain, {}));
  EXPECT_FALSE(is_sweep(plain, {"seed=4", "data.classes=[0, 1]"}));  // one value each
  EXPECT_TRUE(is_sweep(plain, {"seed=4,5"}));
  EXPECT_TRUE(is_sweep(plain, {"seed=range(0,2)"}));
  EXPECT_TRUE(is_sweep(study_file(dir, kBlock), {}));
  EXPECT_FALSE(is_sweep(study_file(dir, "sweep:\n"), {}));  // an empty block sweeps nothing
}

TEST(SweepPlan, ABlockExpandsIntoPointsUnderTheRunsSweepDirectory) {
  ScratchDir dir("fct-sweep-plan");
  const std::string path =
      study_file(dir, "side_info: {model: {embedding_dim: 64}}\n" + std::string(kBlock));
  const auto plan = plan_sweep(path, {});
  // The base is the file without its block.
  EXPECT_EQ(plan.base.config.side_info.model.embedding_dim, 64);
  EXPECT_EQ(plan.base.config.output_dir, dir.file("run"));
  EXPECT_EQ(plan.base.resolved_yaml.find("sweep:"), std::string::npos);
  EXPECT_EQ(plan.directory, dir.file("run/sweep"));

  ASSERT_EQ(plan.points.size(), 4u);
  // Product order: the last axis varies fastest.
  const Strings labels = {
      "side_info.model.embedding_dim=8 seed=0", "side_info.model.embedding_dim=8 seed=1",
      "side_info.model.embedding_dim=32 seed=0", "side_info.model.embedding_dim=32 seed=1"};
  for (std::size_t i = 0; i < 4; ++i) {
    const auto& point = plan.points[i];
    EXPECT_EQ(point.point.index, static_cast<int64_t>(i));
    EXPECT_EQ(point.point.label, labels[i]);
    std::string name = labels[i];
    std::replace(name.begin(), name.end(), ' ', '_');  // not safe in a directory name
    const std::string directory = dir.file("run/sweep/00" + std::to_string(i) + "_" + name);
    EXPECT_EQ(point.directory, directory);
    EXPECT_EQ(point.loaded.config.output_dir, directory);
    EXPECT_EQ(point.loaded.config.side_info.model.embedding_dim, i < 2 ? 8 : 32);
    EXPECT_EQ(point.loaded.config.seed, static_cast<int64_t>(i % 2));
    EXPECT_EQ(point.loaded.config.name, "sweep-test");
    // Its messages name the file and the point.
    EXPECT_EQ(point.loaded.source_path, path + " [" + labels[i] + "]");
    EXPECT_EQ(point.loaded.overrides.back(), "output_dir=" + directory);
  }
  EXPECT_EQ(plan.points[2].directory,
            dir.file("run/sweep/002_side_info.model.embedding_dim=32_seed=0"));
  EXPECT_EQ(plan.points[1].loaded.overrides, (Strings{"side_info.model.embedding_dim=8", "seed=1",
                                                      "output_dir=" + plan.points[1].directory}));
  // Equal configs hash equally; the points differ from one another.
  EXPECT_NE(plan.points[0].loaded.hash, plan.points[1].loaded.hash);
}

TEST(SweepPlan, CommandLineAxesAndPlainOverridesApplyToEveryPoint) {
  ScratchDir dir("fct-sweep-plan");
  const std::string path = study_file(dir, "log_every: 7\n");
  const auto plan = plan_sweep(path, {"seed=5,6,7", "log_every=3"});
  EXPECT_EQ(plan.base.config.log_every, 3);
  EXPECT_EQ(plan.base.overrides, Strings{"log_every=3"});
  ASSERT_EQ(plan.points.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& point = plan.points[i];
    EXPECT_EQ(point.point.overrides, Strings{"seed=" + std::to_string(5 + i)});
    EXPECT_EQ(point.directory,
              dir.file("run/sweep/00" + std::to_string(i) + "_seed=" + std::to_string(5 + i)));
    EXPECT_EQ(point.loaded.config.seed, static_cast<int64_t>(5 + i));
    EXPECT_EQ(point.loaded.config.log_every, 3);
    // Plain overrides first, the point's axes after them, the directory last.
    EXPECT_EQ(point.loaded.overrides, (Strings{"log_every=3", "seed=" + std::to_string(5 + i),
                                               "output_dir=" + point.directory}));
  }
}

TEST(SweepPlan, TheCommandLineReplacesTheFilesAxisOfTheSameKey) {
  ScratchDir dir("fct-sweep-plan");
  const auto plan = plan_sweep(study_file(dir, kBlock), {"seed=9"});
  // "seed=9" has one value: a plain override, so the file's seed axis still sweeps.
  ASSERT_EQ(plan.points.size(), 4u);
  EXPECT_EQ(plan.points[0].loaded.config.seed, 0);

  const auto replaced = plan_sweep(study_file(dir, kBlock), {"seed=7,8,9"});
  ASSERT_EQ(replaced.points.size(), 6u);  // 2 dimensions x 3 seeds
  EXPECT_EQ(replaced.points[0].point.label, "side_info.model.embedding_dim=8 seed=7");
  EXPECT_EQ(replaced.points[5].loaded.config.seed, 9);
  EXPECT_EQ(replaced.points[5].loaded.config.side_info.model.embedding_dim, 32);
}

TEST(SweepPlan, WithoutAnOutputDirThePointsGoUnderRunsSlashName) {
  ScratchDir dir("fct-sweep-plan");
  const std::string path = dir.file("study.yaml");
  write_text_file(path, "name: relative\n");
  const auto plan = plan_sweep(path, {"seed=0,1"});
  EXPECT_EQ(plan.directory, "runs/relative/sweep");
  ASSERT_EQ(plan.points.size(), 2u);
  EXPECT_EQ(plan.points[1].directory, "runs/relative/sweep/001_seed=1");
  EXPECT_EQ(plan.points[1].loaded.config.output_dir, "runs/relative/sweep/001_seed=1");
}

TEST(SweepPlan, ErrorsNameTheFileOrTheOverride) {
  ScratchDir dir("fct-sweep-plan");
  const std::string plain = study_file(dir, "seed: 3\n");
  std::string message = config_error([&] { plan_sweep(plain, {"log_every=2"}); });
  EXPECT_CONTAINS(message, plain + ": nothing to sweep");

  const std::string bad_mode = study_file(dir, "sweep: {mode: shuffle, params: {seed: [0]}}\n");
  message = config_error([&] { plan_sweep(bad_mode, {}); });
  EXPECT_CONTAINS(message, bad_mode + ": sweep.mode: expected product or zip, not 'shuffle'");

  const std::string not_a_list = study_file(dir, "sweep: {params: {seed: 4}}\n");
  message = config_error([&] { plan_sweep(not_a_list, {}); });
  EXPECT_CONTAINS(message, not_a_list + ": sweep.params.seed: expected a non-empty list");

  // A bad value in the file: its line and column.
  const std::string bad_value = study_file(dir, "seed: -4\n" + std::string(kBlock));
  message = config_error([&] { plan_sweep(bad_value, {}); });
  EXPECT_CONTAINS(message, bad_value + ":3:");

  // A bad point fails the whole plan, naming its override (study_file rewrote the one file).
  study_file(dir, "seed: 3\n");
  message = config_error([&] { plan_sweep(plain, {"side_info.model.embedding_dim=8,0"}); });
  EXPECT_CONTAINS(message, "side_info.model.embedding_dim=0");

  const std::string missing = dir.file("missing.yaml");
  message = config_error([&] { is_sweep(missing, {}); });
  EXPECT_CONTAINS(message, missing);
}

}  // namespace
}  // namespace fct::study
