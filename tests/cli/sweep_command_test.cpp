// `fct sweep`: a sweep of the tiny ImageNet study over the side-info dimension runs every point in
// its own directory, writes the summary (Markdown, CSV, JSON, SVG), skips finished points when
// launched again, lists points with --dry-run, and checks every point's config before any runs.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "framework/core/report_text.h"
#include "tests/cli/cli_test_support.h"
#include "tests/dataset_fixtures.h"

namespace fct::testing {
namespace {

namespace fs = std::filesystem;

TEST(SweepCommand, RunsEveryPointWritesTheSummaryAndSkipsFinishedPoints) {
  ScratchDir dir("fct-sweep");
  write_fixture("imagenet", dir.file("build/fixtures/imagenet"));
  const std::string yaml = source_directory() + "/experiments/imagenet_tiny_fct.yaml";
  const std::vector<std::string> sweep = {"sweep", yaml, "side_info.model.embedding_dim=8,16",
                                          "--no-progress"};
  auto result = run_fct(2, sweep, 600, dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const std::string out = dir.file("runs/imagenet_tiny_fct/sweep");
  for (const std::string point :
       {"000_side_info.model.embedding_dim=8", "001_side_info.model.embedding_dim=16"}) {
    EXPECT_TRUE(fs::exists(out + "/" + point + "/results.json")) << point;
    EXPECT_NE(read_text_file(out + "/" + point + "/config.yaml").find("embedding_dim"),
              std::string::npos);
  }
  const auto summary = nlohmann::json::parse(read_text_file(out + "/summary.json"));
  ASSERT_EQ(summary.size(), 2u);
  EXPECT_EQ(summary[1]["overrides"][0], "side_info.model.embedding_dim=16");
  EXPECT_EQ(summary[0]["results"].size(), 7u);
  EXPECT_NE(read_text_file(out + "/summary.md").find("| side_info.model.embedding_dim=16 |"),
            std::string::npos);
  EXPECT_NE(read_text_file(out + "/summary.csv").find("point,overrides,case,top1"),
            std::string::npos);
  const std::string svg = read_text_file(out + "/summary.svg");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("new/fct+si"), std::string::npos);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  // The HTML reports: the sweep's, linking each point's.
  EXPECT_NE(result.output.find("report: " + out.substr(dir.path().size() + 1) + "/report.html"),
            std::string::npos)
      << result.output;
  const std::string report = read_text_file(out + "/report.html");
  EXPECT_NE(report.find("data-point=\"1\" data-case=\"new/fct+si\" data-metric=\"top1\">" +
                        fct::fixed2(summary[1]["results"][6]["top1"].get<double>()) + "<"),
            std::string::npos);
  EXPECT_NE(report.find("href=\"001_side_info.model.embedding_dim=16/report.html\""),
            std::string::npos);
  EXPECT_TRUE(fs::exists(out + "/000_side_info.model.embedding_dim=8/report.html"));

  // Launched again: both points are skipped, the summary is the same.
  result = run_fct(2, sweep, 600, dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("point 1/2 (side_info.model.embedding_dim=8) finished before"),
            std::string::npos)
      << result.output;
  EXPECT_EQ(result.output.find("stage 1/13"), std::string::npos) << result.output;
  EXPECT_EQ(nlohmann::json::parse(read_text_file(out + "/summary.json")), summary);
}

TEST(SweepCommand, DryRunListsPointsAndABadPointFailsBeforeAnyRuns) {
  ScratchDir dir("fct-sweep");
  write_text_file(dir.file("study.yaml"),
                  "name: s\ndata: {name: fashion_mnist, limit: 64}\n"
                  "sweep:\n  mode: zip\n  params:\n    seed: [0, 1, 2]\n"
                  "    side_info.model.embedding_dim: [8, 16, 32]\n");
  auto result = run_fct(1, {"sweep", dir.file("study.yaml"), "--dry-run"}, 120, dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("runs/s/sweep/002_seed=2_side_info.model.embedding_dim=32"),
            std::string::npos)
      << result.output;
  // The command line replaces the file's axis; point 2 of 2 is invalid, so nothing runs.
  result =
      run_fct(1, {"sweep", dir.file("study.yaml"), "seed=0,1", "side_info.model.embedding_dim=8,0"},
              120, dir.path());
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("embedding_dim"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(dir.file("runs/s/sweep")));
  // Zip with axes of different lengths (2 seeds from the command line, 3 dimensions in the file).
  result = run_fct(1, {"sweep", dir.file("study.yaml"), "seed=0,1"}, 120, dir.path());
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("equal length"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace fct::testing
