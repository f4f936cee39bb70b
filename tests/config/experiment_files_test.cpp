// Every YAML file in experiments/ loads: a grid (`grid:`) with every model, a sweep (`sweep:`) at
// every point, a study (it has `old:`) as a StudyConfig, anything else as an ExperimentConfig, with
// every check passing, so a typo in a cluster study fails here and not hours into a queue. The
// published studies keep the protocol's class splits.
#include <gtest/gtest.h>

#include <filesystem>

#include "framework/config/config_loader.h"
#include "framework/config/experiment_config.h"
#include "framework/config/grid_config.h"
#include "framework/config/study_config.h"
#include "framework/config/sweep.h"
#include "tests/study_names.h"
#include "tests/test_support.h"

namespace fct::config {
namespace {

namespace fs = std::filesystem;

TEST(ExperimentFiles, EveryFileLoads) {
  int studies = 0, experiments = 0;
  for (const auto& entry :
       fs::directory_iterator(fct::testing::source_directory() + "/experiments")) {
    if (entry.path().extension() != ".yaml") continue;
    const std::string path = entry.path().string();
    SCOPED_TRACE(path);
    YAML::Node root = load_yaml_file(path);
    if (root["grid"]) {  // a compatibility grid: every model's recipe is checked
      EXPECT_NO_THROW(load_grid(path, {}, fct::testing::study_names()));
      ++studies;
    } else if (root["sweep"]) {  // a sweep: the study at every point
      const auto points = expand_sweep(read_sweep_block(root["sweep"], path));
      root.remove("sweep");
      EXPECT_FALSE(points.empty());
      for (const auto& point : points)
        EXPECT_NO_THROW(load_config_tree<StudyConfig>(YAML::Clone(root), path, point.overrides,
                                                      fct::testing::study_names()))
            << point.label;
      ++studies;
    } else if (root["old"]) {
      EXPECT_NO_THROW(load_config<StudyConfig>(path, {}, fct::testing::study_names()));
      ++studies;
    } else {
      EXPECT_NO_THROW(load_config<ExperimentConfig>(path, {}, fct::testing::study_names()));
      ++experiments;
    }
  }
  EXPECT_GE(studies, 7);  // Fashion-MNIST, three published, three tiny
  EXPECT_GE(experiments, 2);
}

TEST(ExperimentFiles, PublishedStudiesKeepTheProtocolsClassSplits) {
  const auto dir = fct::testing::source_directory() + "/experiments/";
  const auto imagenet =
      load_config<StudyConfig>(dir + "imagenet_fct.yaml", {}, fct::testing::study_names()).config;
  EXPECT_EQ(imagenet.old_model.classes.size(), 500u);
  EXPECT_EQ(imagenet.old_model.classes.front(), 0);
  EXPECT_EQ(imagenet.old_model.classes.back(), 499);
  EXPECT_TRUE(imagenet.new_model.classes.empty());
  EXPECT_EQ(imagenet.new_model.model.arch, "resnet50");
  EXPECT_EQ(imagenet.new_model.model.embedding_dim, 128);
  EXPECT_EQ(imagenet.eval.split, "val");
  const auto places =
      load_config<StudyConfig>(dir + "places365_fct.yaml", {}, fct::testing::study_names()).config;
  EXPECT_EQ(places.old_model.classes.size(), 182u);
  const auto faces =
      load_config<StudyConfig>(dir + "vggface2_fct.yaml", {}, fct::testing::study_names()).config;
  EXPECT_EQ(faces.old_model.classes.size(), 4315u);
  EXPECT_EQ(faces.eval.split, "test");
  EXPECT_EQ(faces.data.val_split, "test");
}

TEST(ExperimentFiles, IntegerListsTakeRanges) {
  const auto loaded = parse_config<DataConfig>("classes: [0-3, 7, \"9-10\"]\n", "inline", {},
                                               fct::testing::study_names());
  EXPECT_EQ(loaded.config.classes, (std::vector<int64_t>{0, 1, 2, 3, 7, 9, 10}));
  EXPECT_THROW(
      parse_config<DataConfig>("classes: [5-2]\n", "inline", {}, fct::testing::study_names()),
      ConfigError);
  EXPECT_THROW(
      parse_config<DataConfig>("classes: [a-b]\n", "inline", {}, fct::testing::study_names()),
      ConfigError);
  // The command line takes them too.
  const auto overridden = parse_config<DataConfig>("name: imagenet\n", "inline", {"classes=[0-2]"},
                                                   fct::testing::study_names());
  EXPECT_EQ(overridden.config.classes, (std::vector<int64_t>{0, 1, 2}));
}

}  // namespace
}  // namespace fct::config
