#include "framework/data/places365_layout.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "framework/core/error.h"
#include "tests/data/layout_test_support.h"
#include "tests/dataset_fixtures.h"
#include "tests/test_support.h"

namespace fct::data {
namespace {
namespace fs = std::filesystem;
using testing::contains;
using testing::error_of;

TEST(Places365LayoutTest, EverySplitLabelledFromTheListsWithNestedCategories) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_places365_fixture(dir.path());
  for (const std::string split : {"train", "train_challenge", "val"}) {
    IndexSources sources;
    const auto index = Places365Layout().scan(fixture.root, split, sources);
    EXPECT_EQ(testing::compare_index(index, fixture.splits.at(split)), "") << split;
    EXPECT_EQ(index.layout, "places365");
    EXPECT_EQ(index.split, split);
    EXPECT_TRUE(index.problems.empty()) << split;
    EXPECT_TRUE(contains(sources.files, fixture.root + "/categories_places365.txt"));
    EXPECT_TRUE(contains(sources.directories, index.root));
  }
  IndexSources sources;
  const auto train = Places365Layout().scan(fixture.root, "train", sources);
  EXPECT_EQ(train.classes[3], "s/swimming_pool/indoor");
  EXPECT_TRUE(contains(sources.files, fixture.root + "/places365_train_standard.txt"));
  EXPECT_TRUE(contains(sources.directories, train.root + "/s/swimming_pool/indoor"));
  // The list's order is kept (the lists are sorted by category, then file).
  EXPECT_EQ(train.entries.front().path, "a/airfield/00000001.jpg");
  EXPECT_EQ(train.entries.front().label, 0);
  const auto challenge = Places365Layout().scan(fixture.root, "train_challenge", sources);
  EXPECT_GT(challenge.size(), train.size());
}

TEST(Places365LayoutTest, TorchvisionRenamedFolders) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_places365_fixture(dir.path());
  fs::copy(fixture.root + "/data_256", fixture.root + "/data_large_challenge",
           fs::copy_options::recursive);
  fs::rename(fixture.root + "/data_256", fixture.root + "/data_256_standard");
  fs::rename(fixture.root + "/val_256", fixture.root + "/val_large");
  IndexSources sources;
  auto index = Places365Layout().scan(fixture.root, "train", sources);
  EXPECT_EQ(index.root, fixture.root + "/data_256_standard");
  EXPECT_TRUE(index.problems.empty());
  index = Places365Layout().scan(fixture.root, "train_challenge", sources);
  EXPECT_EQ(index.root, fixture.root + "/data_large_challenge");
  EXPECT_TRUE(index.problems.empty());
  index = Places365Layout().scan(fixture.root, "val", sources);
  EXPECT_EQ(index.root, fixture.root + "/val_large");
  EXPECT_TRUE(index.problems.empty());
  fs::remove_all(fixture.root + "/val_large");
  EXPECT_NE(error_of<DataError>([&] {
              Places365Layout().scan(fixture.root, "val", sources);
            }).find(fixture.root + "/val_256"),
            std::string::npos);
}

TEST(Places365LayoutTest, LargeSplitsPickTheHighResolutionFoldersBesideThe256Ones) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_places365_fixture(dir.path());
  fs::copy(fixture.root + "/data_256", fixture.root + "/data_large", fs::copy_options::recursive);
  fs::copy(fixture.root + "/val_256", fixture.root + "/val_large", fs::copy_options::recursive);
  IndexSources sources;
  EXPECT_EQ(Places365Layout().scan(fixture.root, "train", sources).root,
            fixture.root + "/data_256");
  const auto large = Places365Layout().scan(fixture.root, "train_large", sources);
  EXPECT_EQ(large.root, fixture.root + "/data_large");
  EXPECT_EQ(large.size(), Places365Layout().scan(fixture.root, "train", sources).size());
  EXPECT_EQ(Places365Layout().scan(fixture.root, "val_large", sources).root,
            fixture.root + "/val_large");
  EXPECT_EQ(Places365Layout().scan(fixture.root, "train_challenge_large", sources).root,
            fixture.root + "/data_large");
  EXPECT_THROW(Places365Layout().scan(fixture.root, "test_large", sources), ConfigError);
}

TEST(Places365LayoutTest, MissingListedFileStaysWithAProblem) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_places365_fixture(dir.path());
  const std::string gone = fixture.root + "/data_256/s/swimming_pool/indoor/00000002.jpg";
  fs::remove(gone);
  IndexSources sources;
  const auto index = Places365Layout().scan(fixture.root, "train", sources);
  EXPECT_EQ(index.size(), static_cast<int64_t>(fixture.splits.at("train").labels.size()));
  const auto it = std::find_if(index.entries.begin(), index.entries.end(), [](const auto& e) {
    return e.path == "s/swimming_pool/indoor/00000002.jpg";
  });
  ASSERT_NE(it, index.entries.end());
  EXPECT_EQ(it->bytes, -1);
  EXPECT_EQ(it->label, 3);
  ASSERT_EQ(index.problems.size(), 1u);
  EXPECT_NE(index.problems[0].find("places365_train_standard.txt:"), std::string::npos);
  EXPECT_NE(index.problems[0].find(gone), std::string::npos) << index.problems[0];
}

TEST(Places365LayoutTest, MalformedLinesNameFileAndLine) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_places365_fixture(dir.path());
  const std::string list = fixture.root + "/places365_val.txt";
  IndexSources sources;
  testing::write_text_file(list, "Places365_val_00000001.jpg 1\nPlaces365_val_00000002.jpg\n");
  EXPECT_NE(error_of<DataError>([&] {
              Places365Layout().scan(fixture.root, "val", sources);
            }).find(list + ":2:"),
            std::string::npos);
  testing::write_text_file(list, "Places365_val_00000001.jpg 5\n");
  EXPECT_NE(error_of<DataError>([&] {
              Places365Layout().scan(fixture.root, "val", sources);
            }).find(list + ":1: category id 5 outside 0..4"),
            std::string::npos);
  const std::string categories = fixture.root + "/categories_places365.txt";
  testing::write_text_file(categories, "/a/airfield 0\n/b/bedroom 0\n");
  EXPECT_NE(error_of<DataError>([&] {
              Places365Layout().scan(fixture.root, "val", sources);
            }).find(categories + ":2: category id 0 already defined on line 1"),
            std::string::npos);
  testing::write_text_file(categories, "/a/airfield 0\n/b/bedroom 2\n");
  EXPECT_NE(error_of<DataError>([&] {
              Places365Layout().scan(fixture.root, "val", sources);
            }).find("no category has id 1"),
            std::string::npos);
}

TEST(Places365LayoutTest, CategoryNamesDropTheLeadingSlash) {
  testing::ScratchDir dir;
  testing::write_text_file(dir.file("c.txt"), "/a/airfield 0\n/a/apartment_building/outdoor 1\n\n");
  IndexSources sources;
  EXPECT_EQ(read_places365_categories(dir.file("c.txt"), sources),
            (std::vector<std::string>{"a/airfield", "a/apartment_building/outdoor"}));
  EXPECT_EQ(sources.files, std::vector<std::string>{dir.file("c.txt")});
}

TEST(Places365LayoutTest, UnknownSplitAndMissingFiles) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_places365_fixture(dir.path());
  IndexSources sources;
  const std::string message =
      error_of<ConfigError>([&] { Places365Layout().scan(fixture.root, "test", sources); });
  EXPECT_NE(message.find("known: train, train_challenge, val"), std::string::npos) << message;
  fs::remove(fixture.root + "/places365_train_challenge.txt");
  EXPECT_NE(error_of<DataError>([&] {
              Places365Layout().scan(fixture.root, "train_challenge", sources);
            }).find(fixture.root + "/places365_train_challenge.txt"),
            std::string::npos);
  fs::remove(fixture.root + "/categories_places365.txt");
  EXPECT_NE(error_of<DataError>([&] {
              Places365Layout().scan(fixture.root, "train", sources);
            }).find(fixture.root + "/categories_places365.txt"),
            std::string::npos);
}

}  // namespace
}  // namespace fct::data
