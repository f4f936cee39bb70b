// Sweeps: the YAML block and Hydra's multirun grammar expand to the same points; product order,
// zip, the command line winning over the file, malformed sweeps named, safe directory names.
#include "framework/config/sweep.h"

#include <gtest/gtest.h>

#include "framework/config/config_loader.h"
#include "framework/config/experiment_config.h"
#include "framework/core/error.h"
#include "tests/study_names.h"

namespace fct::config {
namespace {

SweepSpec block(const std::string& yaml) {
  return read_sweep_block(YAML::Load(yaml), "test.yaml");
}

std::vector<std::vector<std::string>> overrides_of(const std::vector<SweepPoint>& points) {
  std::vector<std::vector<std::string>> all;
  for (const auto& p : points) all.push_back(p.overrides);
  return all;
}

TEST(Sweep, ProductVariesTheLastAxisFastest) {
  const auto points = expand_sweep(block("params: {a: [1, 2], b.c: [x, y, z]}"));
  ASSERT_EQ(points.size(), 6u);
  EXPECT_EQ(points[0].overrides, (std::vector<std::string>{"a=1", "b.c=x"}));
  EXPECT_EQ(points[1].overrides, (std::vector<std::string>{"a=1", "b.c=y"}));
  EXPECT_EQ(points[3].overrides, (std::vector<std::string>{"a=2", "b.c=x"}));
  EXPECT_EQ(points[5].label, "a=2 b.c=z");
  EXPECT_EQ(points[5].index, 5);
}

TEST(Sweep, ZipPairsTheIthValuesAndNeedsEqualLengths) {
  const auto points = expand_sweep(block("mode: zip\nparams: {lr: [0.1, 0.01], seed: [0, 1]}"));
  EXPECT_EQ(overrides_of(points),
            (std::vector<std::vector<std::string>>{{"lr=0.1", "seed=0"}, {"lr=0.01", "seed=1"}}));
  EXPECT_THROW(expand_sweep(block("mode: zip\nparams: {lr: [0.1], seed: [0, 1]}")), ConfigError);
}

TEST(Sweep, ListValuesAndQuotedStringsSurviveAsOverrides) {
  const auto points = expand_sweep(block("params: {data.classes: [[0, 1], [0-4]], name: ['1e3']}"));
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].overrides[0], "data.classes=[0, 1]");
  // The override parser reads them back as the same values.
  const auto loaded = parse_config<ExperimentConfig>("name: x\n", "base", points[1].overrides,
                                                     fct::testing::study_names());
  EXPECT_EQ(loaded.config.data.classes, (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(loaded.config.name, "1e3");
}

TEST(Sweep, TheCommandLineGrammarMatchesHydras) {
  std::vector<std::string> plain;
  std::vector<SweepAxis> axes;
  split_multirun_arguments({"side_info.model.embedding_dim=8,32,128", "seed=range(0,3)",
                            "loss.name=choice(cross_entropy, arcface)", "lr=0.1",
                            "data.classes=[0, 1]", "+extra=1,2", "name='a,b'"},
                           plain, axes);
  EXPECT_EQ(plain, (std::vector<std::string>{"lr=0.1", "data.classes=[0, 1]", "+extra=1,2",
                                             "name='a,b'"}));
  ASSERT_EQ(axes.size(), 3u);
  EXPECT_EQ(axes[0].values, (std::vector<std::string>{"8", "32", "128"}));
  EXPECT_EQ(axes[1].values, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(axes[2].values, (std::vector<std::string>{"cross_entropy", "arcface"}));
  plain.clear();
  axes.clear();
  split_multirun_arguments({"seed=range(10,0,-5)"}, plain, axes);
  EXPECT_EQ(axes[0].values, (std::vector<std::string>{"10", "5"}));
  EXPECT_THROW(split_multirun_arguments({"seed=range(0,x)"}, plain, axes), ConfigError);
  EXPECT_THROW(split_multirun_arguments({"seed=range(3,3)"}, plain, axes), ConfigError);
  EXPECT_THROW(split_multirun_arguments({"a=1,,2"}, plain, axes), ConfigError);
  EXPECT_THROW(split_multirun_arguments({"a=1,2", "a=3,4"}, plain, axes), ConfigError);
}

TEST(Sweep, TheCommandLineReplacesAFileAxisOfTheSameKey) {
  std::vector<std::string> plain;
  std::vector<SweepAxis> axes;
  split_multirun_arguments({"a=7,8", "c=1,2"}, plain, axes);
  const auto merged = merge_sweeps(block("params: {a: [1, 2, 3], b: [x]}"), axes);
  ASSERT_EQ(merged.axes.size(), 3u);
  EXPECT_EQ(merged.axes[0].values, (std::vector<std::string>{"7", "8"}));
  EXPECT_EQ(merged.axes[2].key, "c");
  EXPECT_EQ(expand_sweep(merged).size(), 4u);
}

TEST(Sweep, MalformedBlocksAreNamed) {
  for (const std::string bad : {"mode: grid\nparams: {a: [1]}", "params: {a: 1}", "params: {}",
                                "params: {a: []}", "modes: zip", "[1, 2]"}) {
    try {
      block(bad);
      ADD_FAILURE() << bad;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("test.yaml: sweep"), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(expand_sweep(block("")).empty());
}

TEST(Sweep, DirectoryNamesAreSafeAndOrdered) {
  SweepPoint point;
  point.index = 7;
  point.label = "data.root=/x/$(rm -rf ~) name='a b'";
  const std::string name = point_directory_name(point, 12);
  EXPECT_EQ(name.rfind("007_", 0), 0u);
  EXPECT_EQ(name.find('/'), std::string::npos);
  EXPECT_EQ(name.find('$'), std::string::npos);
  EXPECT_EQ(name.find(' '), std::string::npos);
  EXPECT_EQ(name.find('\''), std::string::npos);
  point.index = 1234;
  EXPECT_EQ(point_directory_name(point, 2000).rfind("1234_", 0), 0u);
}

}  // namespace
}  // namespace fct::config
