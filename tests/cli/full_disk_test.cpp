// The FCT study on a disk that fills up part-way (a small tmpfs: root only, skipped elsewhere):
// every rank stops with an error naming the path and "no space left", nothing with a final name
// is partial, and once space is freed the same command finishes the study, reusing what was done.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "framework/core/zip_integrity.h"
#include "framework/store/store_reader.h"
#include "tests/cli/cli_test_support.h"
#include "tests/small_disk.h"

namespace fct::testing {
namespace {

// Enough for the first stages of tiny_study_yaml, not for all of them (Note in the test).
constexpr const char* kSmallSize = "3m";

TEST(StudyFault, AFullDiskEndsTheStudyNamingThePathAndItFinishesOnceSpaceIsFreed) {
  ScratchDir dir("fct-full-disk");
  const SmallDisk disk(dir.file("disk"), kSmallSize);
  if (!disk.mounted()) GTEST_SKIP() << disk.why();
  const std::string run = disk.path() + "/run";
  write_text_file(dir.file("study.yaml"), tiny_study_yaml(run));

  const auto full = run_fct(2, {"run", dir.file("study.yaml"), "--no-progress"}, 600);
  ASSERT_NE(full.exit_code, 0) << "the study fitted on " << kSmallSize << ":\n" << full.output;
  EXPECT_NE(full.output.find("no space left"), std::string::npos) << full.output;
  EXPECT_NE(full.output.find(disk.path()), std::string::npos) << full.output;
  // What the failed run left: no temporaries, and every file with a final name whole.
  int models = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(disk.path())) {
    if (!entry.is_regular_file()) continue;
    const std::string path = entry.path().string();
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << path;
    if (entry.path().extension() == ".pt") {
      EXPECT_NO_THROW(verify_zip_file(path, "model file")) << path;
      ++models;
    }
    if (entry.path().extension() == ".h5") EXPECT_NO_THROW(store::StoreReader{path}) << path;
  }
  EXPECT_GT(models, 0) << "the disk filled before the first model: make kSmallSize larger";

  ASSERT_TRUE(disk.resize("1g"));
  const auto freed = run_fct(2, {"run", dir.file("study.yaml"), "--no-progress"}, 600);
  ASSERT_EQ(freed.exit_code, 0) << freed.output;
  const auto results = nlohmann::json::parse(read_text_file(run + "/results.json"));
  EXPECT_EQ(results.size(), 7u) << results.dump();
}

}  // namespace
}  // namespace fct::testing
