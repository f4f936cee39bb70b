// `fct grid` on the tiny ImageNet study: two old × two new models, each trained once and shared by
// the pairs; ψ shared by the old models with the same recipe; BCT only where the embedding
// dimensions match; the matrix written; everything skipped when run again; a model added later
// trains only what is new.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "framework/core/report_text.h"
#include "tests/cli/cli_test_support.h"
#include "tests/dataset_fixtures.h"

namespace fct::testing {
namespace {

namespace fs = std::filesystem;

// How many stages ran (were not skipped) whose line names `what`: a stage that runs starts with
// "stage 3/40 new model b", one that is skipped prints "stage 3/40 new model b: done before ...".
int stages_run(const std::string& output, const std::string& what) {
  const std::regex line("stage [0-9]+/[0-9]+ " + what + "(\\s|$)");
  return static_cast<int>(std::distance(std::sregex_iterator(output.begin(), output.end(), line),
                                        std::sregex_iterator()));
}

std::string grid_yaml(const std::string& extra_new_model) {
  return read_text_file(source_directory() + "/experiments/imagenet_tiny_fct.yaml") +
         "grid:\n"
         "  old_models:\n"
         "    a: {}\n"
         "    b: {loss.name: cosface}\n"
         "  new_models:\n"
         "    c: {}\n"
         "    d: {model.embedding_dim: 8}\n" +
         extra_new_model;
}

TEST(GridCommand, TrainsEachModelOnceStudiesEveryPairAndReusesModels) {
  ScratchDir dir("fct-grid");
  write_fixture("imagenet", dir.file("build/fixtures/imagenet"));
  write_text_file(dir.file("grid.yaml"), grid_yaml(""));
  auto result = run_fct(2, {"grid", "grid.yaml", "--no-progress"}, 900, dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  for (const std::string model : {"old model a", "old model b", "new model c", "new model d"})
    EXPECT_EQ(stages_run(result.output, model), 1) << model << "\n" << result.output;
  EXPECT_EQ(stages_run(result.output, "side-info model [0-9a-f]+"), 1) << result.output;
  EXPECT_EQ(stages_run(result.output, "bct model c"), 2);  // a -> c and b -> c
  EXPECT_EQ(stages_run(result.output, "bct model d"), 0);  // 16 vs 8 dimensions: no BCT

  const std::string run = dir.file("runs/imagenet_tiny_fct");
  int side_info_models = 0;
  for (const auto& entry : fs::directory_iterator(run + "/side_info")) {
    (void)entry;
    ++side_info_models;
  }
  EXPECT_EQ(side_info_models, 1);
  const auto json = nlohmann::json::parse(read_text_file(run + "/grid.json"));
  ASSERT_EQ(json["pairs"].size(), 4u);
  EXPECT_EQ(json["old_models"], (nlohmann::json{"a", "b"}));
  EXPECT_FALSE(json["matrices"]["new/fct+si"]["top1"][1][1].is_null());
  EXPECT_FALSE(json["matrices"]["bct/old"]["top1"][0][0].is_null());
  EXPECT_TRUE(json["matrices"]["bct/old"]["top1"][0][1].is_null());
  for (const char* file : {"grid.md", "grid.csv", "grid.svg", "config.yaml", "provenance.json",
                           "pairs/b--d/results.md", "pairs/a--c/bct/model.pt",
                           "models/new/d/model.pt", "stores/old-a.h5"})
    EXPECT_TRUE(fs::exists(run + "/" + file)) << file;
  EXPECT_FALSE(fs::exists(run + "/pairs/a--d/bct"));
  EXPECT_NE(result.output.find("| old \\ new | c | d | old/old |"), std::string::npos)
      << result.output;
  EXPECT_NE(read_text_file(run + "/config.yaml").find("a -> c (+bct)"), std::string::npos);
  // The HTML reports: the grid's matrices, linking each pair's report.
  const std::string report = read_text_file(run + "/report.html");
  EXPECT_NE(
      report.find("data-old=\"b\" data-new=\"d\" data-case=\"new/fct+si\" "
                  "data-metric=\"top1\">" +
                  fct::fixed2(json["matrices"]["new/fct+si"]["top1"][1][1].get<double>()) + "<"),
      std::string::npos);
  EXPECT_NE(report.find("href=\"pairs/a--c/report.html\""), std::string::npos);
  EXPECT_TRUE(fs::exists(run + "/pairs/b--d/report.html"));

  // Again: nothing trains, the matrix is the same.
  result = run_fct(2, {"grid", "grid.yaml", "--no-progress"}, 900, dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output.find("(resuming)"), std::string::npos);
  for (const std::string model : {"old model a", "new model c", "bct model c"})
    EXPECT_EQ(stages_run(result.output, model), 0) << model << "\n" << result.output;
  EXPECT_EQ(nlohmann::json::parse(read_text_file(run + "/grid.json"))["matrices"],
            json["matrices"]);

  // A third new model: only it, its stores, BCTs and pairs run.
  write_text_file(dir.file("grid.yaml"), grid_yaml("    e: {optimizer.lr: 0.02}\n"));
  result = run_fct(2, {"grid", "grid.yaml", "--no-progress"}, 900, dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(stages_run(result.output, "new model e"), 1) << result.output;
  for (const std::string model : {"old model a", "old model b", "new model c", "new model d",
                                  "bct model c", "side-info model [0-9a-f]+"})
    EXPECT_EQ(stages_run(result.output, model), 0) << model << "\n" << result.output;
  EXPECT_EQ(nlohmann::json::parse(read_text_file(run + "/grid.json"))["pairs"].size(), 6u);
}

TEST(GridCommand, DryRunListsModelsAndPairsAndABadGridFailsBeforeTraining) {
  ScratchDir dir("fct-grid");
  write_text_file(dir.file("grid.yaml"), grid_yaml(""));
  auto result = run_fct(1, {"grid", "grid.yaml", "--dry-run"}, 120, dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("  b: old.loss.name=cosface"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("  a -> c  (+BCT)"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("  b -> d\n"), std::string::npos) << result.output;

  write_text_file(dir.file("bad.yaml"), grid_yaml("    e: {model.embedding_dim: 0}\n"));
  result = run_fct(2, {"grid", "bad.yaml", "--no-progress"}, 120, dir.path());
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("new model e"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(dir.file("runs/imagenet_tiny_fct/models")));
}

}  // namespace
}  // namespace fct::testing
