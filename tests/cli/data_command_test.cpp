// `fct data verify` on the fixture tree of every layout finds exactly the planted bad files
// (zero-byte, garbage and truncated; the PNG named as a JPEG as a disguise; grey, CMYK and
// progressive JPEGs are fine), `fct data index` builds then reuses the cache, and a training run
// over a tree with every kind of bad file completes with the skip counts in its summary.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/cli/cli_test_support.h"
#include "tests/dataset_fixtures.h"

namespace fct::testing {
namespace {

namespace fs = std::filesystem;

// The dataset YAML of a fixture: its layout, root and the split pair `fct data` checks.
std::string dataset_yaml(const DatasetFixture& fixture, const std::string& train_split,
                         const std::string& val_split, const std::string& cache_dir) {
  return "name: " + fixture.layout + "\nroot: " + fixture.root + "\ntrain_split: " + train_split +
         "\nval_split: " + val_split + "\ncache_dir: " + cache_dir + "\n";
}

std::set<std::string> paths_of(const nlohmann::json& findings) {
  std::set<std::string> paths;
  for (const auto& f : findings) paths.insert(f["path"].get<std::string>());
  return paths;
}

TEST(DataCommand, VerifyFindsEveryPlantedBadFileAndNothingElse) {
  for (const std::string name :
       {"imagenet", "imagenet-kaggle", "places365", "vggface2", "image_folder", "image_list"}) {
    SCOPED_TRACE(name);
    ScratchDir dir("fct-data-verify");
    const DatasetFixture fixture = write_fixture(name, dir.file("data"));
    const std::string eval_split = fixture.splits.count("val") ? "val" : "test";
    write_text_file(dir.file("data.yaml"),
                    dataset_yaml(fixture, "train", eval_split, dir.file("cache")));
    const auto result = run_fct(
        1, {"data", "verify", dir.file("data.yaml"), "--no-progress", "--json", dir.file("r.json")},
        120);
    EXPECT_NE(result.exit_code, 0) << result.output;  // the training split has bad files
    EXPECT_NE(result.output.find("not clean"), std::string::npos) << result.output;
    const auto reports = nlohmann::json::parse(read_text_file(dir.file("r.json")));
    ASSERT_EQ(reports.size(), 2u);

    const FixtureSplit& train = fixture.splits.at("train");
    const auto planted = [&](BadFile kind) {
      return train.image_root + "/" + train.bad_files.at(kind);
    };
    const auto& report = reports[0];
    EXPECT_EQ(report["split"], "train");
    EXPECT_EQ(report["images"].get<std::size_t>(), train.labels.size());
    EXPECT_EQ(paths_of(report["unreadable"]),
              (std::set<std::string>{planted(BadFile::kEmpty), planted(BadFile::kGarbage)}));
    EXPECT_EQ(paths_of(report["truncated"]), (std::set<std::string>{planted(BadFile::kTruncated)}));
    EXPECT_EQ(paths_of(report["disguised"]),
              (std::set<std::string>{planted(BadFile::kPngNamedJpeg)}));
    // The evaluation split has no bad files.
    EXPECT_TRUE(reports[1]["unreadable"].empty());
    EXPECT_TRUE(reports[1]["truncated"].empty());
  }
}

TEST(DataCommand, IndexBuildsOnceThenReusesTheCache) {
  ScratchDir dir("fct-data-index");
  const DatasetFixture fixture = write_fixture("places365", dir.file("data"));
  write_text_file(dir.file("data.yaml"), dataset_yaml(fixture, "train", "val", dir.file("cache")));
  const auto first = run_fct(2, {"data", "index", dir.file("data.yaml")}, 120);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("indexed"), std::string::npos) << first.output;
  const auto second = run_fct(1, {"data", "index", dir.file("data.yaml"), "--split", "val"}, 120);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("cache valid"), std::string::npos) << second.output;
  const auto unknown = run_fct(1, {"data", "index", dir.file("data.yaml"), "--split", "tset"}, 120);
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.output.find("tset"), std::string::npos) << unknown.output;
}

TEST(DataCommand, TrainingOverBadFilesCompletesWithTheSkipCountsInItsSummary) {
  ScratchDir dir("fct-data-train");
  const DatasetFixture fixture = write_fixture("imagenet", dir.file("data"));
  // One image per rank and step, so that every training image is read once in the epoch.
  write_text_file(dir.file("exp.yaml"), "name: bad_files\nseed: 1\noutput_dir: " + dir.file("run") +
                                            "\ndata:\n"
                                            "  name: imagenet\n"
                                            "  root: " +
                                            fixture.root +
                                            "\n"
                                            "  val_split: val\n"
                                            "  image_size: 24\n"
                                            "  loader_threads: 2\n"
                                            "  cache_dir: " +
                                            dir.file("cache") +
                                            "\n"
                                            "model: {arch: resnet18_small, width: 4, "
                                            "embedding_dim: 8}\n"
                                            "schedule: {epochs: 1, batch_size: 2, "
                                            "warmup_epochs: 0, eval_batch_size: 4}\n"
                                            "optimizer: {lr: 0.01}\n"
                                            "dist: {threads_per_rank: 1}\n");
  const auto result = run_fct(2, {"train", dir.file("exp.yaml"), "--no-progress"}, 300);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("skipping unreadable"), std::string::npos) << result.output;
  const auto summary = nlohmann::json::parse(read_text_file(dir.file("run/summary.json")));
  const auto& train = summary["inputs"]["train"];
  EXPECT_EQ(train["skipped_files"], 2) << summary.dump(2);
  EXPECT_EQ(train["truncated_files"], 1) << summary.dump(2);
  EXPECT_EQ(summary["inputs"]["val"]["skipped_files"], 0);

  // The same run with bad_files: fail stops, naming a bad file.
  const auto strict = run_fct(2,
                              {"train", dir.file("exp.yaml"), "--no-progress",
                               "data.bad_files=fail", "output_dir=" + dir.file("strict")},
                              300);
  EXPECT_NE(strict.exit_code, 0);
  EXPECT_NE(strict.output.find("bad_files: fail"), std::string::npos) << strict.output;
}

TEST(DataCommand, TheTinyStudiesRunOnTheFixtureTrees) {
  // experiments/*_tiny_fct.yaml point at build/fixtures/<layout> relative to the working directory.
  ScratchDir dir("fct-tiny-studies");
  for (const std::string name : {"imagenet", "places365", "vggface2"}) {
    SCOPED_TRACE(name);
    write_fixture(name, dir.file("build/fixtures/" + name));
    const std::string yaml = source_directory() + "/experiments/" + name + "_tiny_fct.yaml";
    const auto result = run_fct(2, {"run", yaml, "--no-progress"}, 600, dir.path());
    ASSERT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("new/fct+si"), std::string::npos) << result.output;
    const auto old_summary = nlohmann::json::parse(
        read_text_file(dir.file("runs/" + name + "_tiny_fct/old/summary.json")));
    EXPECT_GT(old_summary["inputs"]["train"]["skipped_files"].get<int64_t>(), 0);
    const auto results =
        nlohmann::json::parse(read_text_file(dir.file("runs/" + name + "_tiny_fct/results.json")));
    EXPECT_FALSE(results.empty());
  }
}

}  // namespace
}  // namespace fct::testing
