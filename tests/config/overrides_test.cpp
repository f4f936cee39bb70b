// Command-line overrides: each form of Hydra's grammar (=, +, ++, ~) and each of their errors.
#include "framework/config/overrides.h"

#include <gtest/gtest.h>

#include "framework/config/experiment_loader.h"
#include "framework/core/hash.h"
#include "tests/config/test_configs.h"
#include "tests/study_names.h"
#include "tests/test_support.h"

namespace fct::config {
namespace {

using testing::AllTypes;
using testing::config_error;

constexpr char kFile[] =
    "name: demo\n"         // line 1
    "data:\n"              // line 2
    "  classes: [0, 1]\n"  // line 3
    "optimizer:\n"         // line 4
    "  name: adam\n"       // line 5
    "  lr: 0.01\n";        // line 6

class OverridesTest : public ::testing::Test {
 protected:
  void SetUp() override { fct::testing::write_text_file(path_, kFile); }
  LoadedExperiment load(const std::vector<std::string>& overrides) {
    return load_experiment(path_, overrides, fct::testing::study_names());
  }
  std::string error(const std::vector<std::string>& overrides) {
    return config_error([&] { load(overrides); });
  }
  fct::testing::ScratchDir dir_{"fct-overrides-test"};
  std::string path_ = dir_.file("exp.yaml");
};

TEST_F(OverridesTest, SetChangesKeysInTheFileAndKeysOnlyInTheSchema) {
  const auto loaded =
      load({"optimizer.lr=1e-3", "schedule.epochs=7", "data.classes=[0,1,2]", "model.arch=resnet18",
            "name='my run: 2'", "output_dir=/tmp/run-1", "data.augment=false"});
  const ExperimentConfig& c = loaded.config;
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 1e-3);
  EXPECT_EQ(c.optimizer.name, "adam");  // the rest of the section stays
  EXPECT_EQ(c.schedule.epochs, 7);
  EXPECT_EQ(c.data.classes, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(c.model.arch, "resnet18");
  EXPECT_EQ(c.name, "my run: 2");
  EXPECT_EQ(c.output_dir, "/tmp/run-1");
  EXPECT_FALSE(c.data.augment);
  EXPECT_EQ(loaded.source_path, path_);
  EXPECT_EQ(loaded.overrides.size(), 7u);
  EXPECT_EQ(loaded.hash, fnv1a(loaded.resolved_yaml));
}

TEST_F(OverridesTest, LaterOverrideWinsAndChangesTheHash) {
  const auto base = load({});
  const auto twice = load({"seed=1", "seed=2"});
  EXPECT_EQ(twice.config.seed, 2);
  EXPECT_NE(twice.hash, base.hash);
  EXPECT_EQ(load({"seed=0"}).hash, base.hash);  // same config, same hash
}

TEST_F(OverridesTest, SetOfAWholeSectionReplacesIt) {
  const auto loaded = load({"optimizer={name: sgd, momentum: 0.5}"});
  EXPECT_EQ(loaded.config.optimizer.name, "sgd");
  EXPECT_DOUBLE_EQ(loaded.config.optimizer.momentum, 0.5);
  EXPECT_DOUBLE_EQ(loaded.config.optimizer.lr, 0.1);  // the file's lr went with the section
}

TEST_F(OverridesTest, UnknownKeySuggestsFullPath) {
  EXPECT_EQ(error({"optimizer.lrr=0.1"}),
            "command line override 'optimizer.lrr=0.1': unknown key 'optimizer.lrr' (did you "
            "mean 'optimizer.lr'?)");
  EXPECT_EQ(error({"optimzer.lr=0.1"}),
            "command line override 'optimzer.lr=0.1': unknown key 'optimzer.lr' (did you mean "
            "'optimizer.lr'?)");
  EXPECT_EQ(error({"lr=0.1"}),
            "command line override 'lr=0.1': unknown key 'lr' (did you mean 'optimizer.lr'?)");
  EXPECT_EQ(error({"colour=red"}), "command line override 'colour=red': unknown key 'colour'");
  EXPECT_EQ(error({"seed.x=1"}),
            "command line override 'seed.x=1': unknown key 'seed.x': 'seed' is a value, not a "
            "map of keys");
}

TEST_F(OverridesTest, BadValuesNameTheOverride) {
  EXPECT_EQ(error({"optimizer.lr=-1"}),
            "command line override 'optimizer.lr=-1': key 'optimizer.lr': expected a value > 0, "
            "got -1");
  EXPECT_EQ(error({"schedule.epochs=ten"}),
            "command line override 'schedule.epochs=ten': key 'schedule.epochs': expected an "
            "integer, got 'ten'");
  EXPECT_EQ(error({"data.classes=3"}),
            "command line override 'data.classes=3': key 'data.classes': expected a list, got "
            "'3'");
  EXPECT_EQ(error({"data={nme: x}"}),
            "command line override 'data={nme: x}': unknown key 'data.nme' (did you mean "
            "'name'?)");
  EXPECT_EQ(error({"name="}),
            "command line override 'name=': key 'name': expected a non-empty string, got ''");
  // A bad value elsewhere in the file still points at the file.
  fct::testing::write_text_file(path_, std::string(kFile) + "seed: x\n");
  EXPECT_EQ(error({"optimizer.lr=0.5"}), path_ + ":7:7: key 'seed': expected an integer, got 'x'");
}

TEST_F(OverridesTest, EmptyValueIsTheEmptyString) {
  EXPECT_EQ(load({"data.root=/data", "data.root="}).config.data.root, "");
}

TEST_F(OverridesTest, AddOnlyAddsAbsentKeys) {
  EXPECT_EQ(load({"+seed=5"}).config.seed, 5);
  EXPECT_EQ(load({"+schedule.batch_size=64"}).config.schedule.batch_size, 64);
  EXPECT_EQ(error({"+optimizer.lr=0.2"}),
            "command line override '+optimizer.lr=0.2': key 'optimizer.lr' is already set at " +
                path_ + ":6:3; use 'optimizer.lr=0.2' or '++optimizer.lr=0.2' to override it");
  EXPECT_EQ(error({"seed=1", "+seed=2"}),
            "command line override '+seed=2': key 'seed' is already set by command line override "
            "'seed=1'; use 'seed=2' or '++seed=2' to override it");
  EXPECT_EQ(error({"+foo=1"}), "command line override '+foo=1': unknown key 'foo'");
}

TEST_F(OverridesTest, ForceAddAddsOrSets) {
  const auto loaded = load({"++optimizer.lr=0.2", "++seed=9"});
  EXPECT_DOUBLE_EQ(loaded.config.optimizer.lr, 0.2);
  EXPECT_EQ(loaded.config.seed, 9);
  EXPECT_EQ(error({"++optimizer.lrr=1"}),
            "command line override '++optimizer.lrr=1': unknown key 'optimizer.lrr' (did you "
            "mean 'optimizer.lr'?)");
}

TEST_F(OverridesTest, RemoveRestoresTheDefault) {
  EXPECT_DOUBLE_EQ(load({"~optimizer.lr"}).config.optimizer.lr, 0.1);
  EXPECT_EQ(load({"~data"}).config.data.classes, std::vector<int64_t>{});
  EXPECT_DOUBLE_EQ(load({"~optimizer.lr=0.01"}).config.optimizer.lr, 0.1);
  EXPECT_DOUBLE_EQ(load({"~optimizer.lr=1e-2"}).config.optimizer.lr, 0.1);  // same number
  EXPECT_EQ(load({"~data.classes=[0, 1]"}).config.data.classes, std::vector<int64_t>{});
  EXPECT_EQ(error({"~optimizer.momentum"}),
            "command line override '~optimizer.momentum': key 'optimizer.momentum' is not set in " +
                path_ + ", so there is nothing to remove");
  EXPECT_EQ(error({"~optimizer.lr=0.5"}),
            "command line override '~optimizer.lr=0.5': key 'optimizer.lr' is 0.01 at " + path_ +
                ":6:3, not 0.5; nothing removed");
  EXPECT_EQ(error({"~optimizer.lrr"}),
            "command line override '~optimizer.lrr': unknown key 'optimizer.lrr' (did you mean "
            "'optimizer.lr'?)");
}

TEST_F(OverridesTest, MalformedOverrides) {
  EXPECT_EQ(error({"optimizer.lr"}),
            "command line override 'optimizer.lr': expected key=value, +key=value, ++key=value, "
            "~key or ~key=value");
  EXPECT_EQ(error({"a..b=1"}),
            "command line override 'a..b=1': invalid key 'a..b' (expected dot-separated names of "
            "letters, digits, '_' or '-')");
  EXPECT_EQ(error({"=1"}),
            "command line override '=1': invalid key '' (expected dot-separated names of "
            "letters, digits, '_' or '-')");
  EXPECT_EQ(error({"data.classes=[0,1"}),
            "command line override 'data.classes=[0,1': cannot parse the value '[0,1' as YAML: "
            "end of sequence flow not found");
}

TEST(OverridesOnTextTest, WorkOnEmptyFilesEmptySectionsAndListsOfStructs) {
  EXPECT_EQ(parse_config<ExperimentConfig>("", "e.yaml", {"seed=4"}, fct::testing::study_names())
                .config.seed,
            4);
  EXPECT_EQ(parse_config<ExperimentConfig>("data:\n", "e.yaml", {"data.name=imagenet"},
                                           fct::testing::study_names())
                .config.data.name,
            "imagenet");
  const auto points =
      parse_config<AllTypes>("points: [{x: 1}]\n", "t.yaml", {"points=[{x: 5}, {x: 6}]"});
  ASSERT_EQ(points.config.points.size(), 2u);
  EXPECT_EQ(points.config.points[1].x, 6);
  EXPECT_EQ(config_error([] { parse_config<AllTypes>("", "t.yaml", {"points.x=1"}); }),
            "command line override 'points.x=1': unknown key 'points.x': 'points' is a list; "
            "override the whole list");
  EXPECT_EQ(config_error([] { parse_config<AllTypes>("", "t.yaml", {"points=[{x: 1, w: 2}]"}); }),
            "command line override 'points=[{x: 1, w: 2}]': unknown key 'points[0].w' (did you "
            "mean 'x'?)");
  EXPECT_EQ(config_error([] {
              parse_config<ExperimentConfig>("data: 5\n", "e.yaml", {"data.name=x"},
                                             fct::testing::study_names());
            }),
            "e.yaml:1:7: key 'data': expected a map of keys, got '5'");
}

}  // namespace
}  // namespace fct::config
