// Where a study's files are: inside a node's directory, how the run directory shows them, and the
// sweep directory of a run.
#include "framework/study/run_layout.h"

#include <gtest/gtest.h>

namespace fct::study {
namespace {

TEST(RunLayout, FilesInsideANodesDirectory) {
  EXPECT_EQ(model_in("cache/stages/old/abc"), "cache/stages/old/abc/model.pt");
  EXPECT_EQ(store_in("cache/stages/store/abc"), "cache/stages/store/abc/store.h5");
  EXPECT_EQ(feature_cache_in("cache/stages/feature_cache/abc"),
            "cache/stages/feature_cache/abc/train.h5");
}

TEST(RunLayout, HowTheRunDirectoryShowsANode) {
  const graph::RunLink model = model_link("side_info");
  EXPECT_EQ(model.run_path, "side_info");
  EXPECT_EQ(model.artifact, "");  // the node's whole directory
  const graph::RunLink store = store_link("old");
  EXPECT_EQ(store.run_path, "stores/old.h5");
  EXPECT_EQ(store.artifact, "store.h5");
  const graph::RunLink features = feature_cache_link();
  EXPECT_EQ(features.run_path, "features/train.h5");
  EXPECT_EQ(features.artifact, "train.h5");
  const auto results = result_links();
  ASSERT_EQ(results.size(), 3u);
  for (std::size_t i = 0; i < results.size(); ++i)
    EXPECT_EQ(results[i].run_path, results[i].artifact) << i;  // same names on both sides
  EXPECT_EQ(results[0].run_path, "results.json");
  EXPECT_EQ(results[1].run_path, "results.csv");
  EXPECT_EQ(results[2].run_path, "results.md");
  EXPECT_EQ(results_json_in("runs/study"), "runs/study/results.json");
}

TEST(RunLayout, ASweepLivesInItsRunDirectoryAndLeadsBack) {
  const std::string sweep = sweep_directory_of("runs/study");
  EXPECT_EQ(sweep, "runs/study/sweep");
  EXPECT_TRUE(is_sweep_directory(sweep));
  EXPECT_EQ(run_directory_of_sweep(sweep), "runs/study");
  EXPECT_FALSE(is_sweep_directory("runs/study"));
  EXPECT_FALSE(is_sweep_directory("runs/sweeps"));
  EXPECT_TRUE(is_sweep_directory("/abs/path/sweep"));
}

}  // namespace
}  // namespace fct::study
