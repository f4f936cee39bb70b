#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "framework/core/error.h"
#include "framework/data/image_folder_layout.h"
#include "tests/data/layout_test_support.h"
#include "tests/dataset_fixtures.h"
#include "tests/test_support.h"

namespace fct::data {
namespace {
namespace fs = std::filesystem;
using testing::contains;
using testing::error_of;

TEST(ImageListLayoutTest, PathsWithSpacesCommentsAndBlankLines) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_image_list_fixture(dir.path());
  for (const std::string split : {"train", "val"}) {
    IndexSources sources;
    const auto index = ImageListLayout().scan(fixture.root, split, sources);
    EXPECT_EQ(testing::compare_index(index, fixture.splits.at(split)), "") << split;
    EXPECT_EQ(index.layout, "image_list");
    EXPECT_EQ(index.classes, (std::vector<std::string>{"0", "1", "2", "3"}));
    EXPECT_TRUE(index.problems.empty());
    EXPECT_EQ(sources.files, std::vector<std::string>{fixture.root + "/" + split + ".txt"});
    EXPECT_NE(std::find(sources.directories.begin(), sources.directories.end(),
                        fixture.root + "/images/" + split + "/with space"),
              sources.directories.end());
    // The list's order is kept.
    EXPECT_EQ(index.entries[0].path, "images/" + split + "/with space/img 0.jpg");
  }
}

TEST(ImageListLayoutTest, MissingListedFileStaysWithAProblem) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_image_list_fixture(dir.path());
  const std::string gone = fixture.root + "/images/val/img_1.jpg";
  fs::remove(gone);
  IndexSources sources;
  const auto index = ImageListLayout().scan(fixture.root, "val", sources);
  ASSERT_EQ(index.size(), 8);
  EXPECT_EQ(index.entries[1].path, "images/val/img_1.jpg");
  EXPECT_EQ(index.entries[1].bytes, -1);
  EXPECT_EQ(index.entries[1].label, 1);
  ASSERT_EQ(index.problems.size(), 1u);
  EXPECT_NE(index.problems[0].find(fixture.root + "/val.txt:4: " + gone + " is missing"),
            std::string::npos)
      << index.problems[0];
}

TEST(ImageListLayoutTest, MalformedLinesNameFileAndLine) {
  testing::ScratchDir dir;
  const std::string list = dir.file("train.txt");
  IndexSources sources;
  for (const std::string bad : {"a.jpg -1", "a.jpg", "a.jpg x", "/abs/a.jpg 1"}) {
    testing::write_text_file(list, "# header\nok.jpg 0\n" + bad + "\n");
    EXPECT_NE(error_of<DataError>([&] {
                ImageListLayout().scan(dir.path(), "train", sources);
              }).find(list + ":3:"),
              std::string::npos)
        << bad;
  }
}

TEST(ImageListLayoutTest, UnknownSplitListsTheListsThere) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_image_list_fixture(dir.path());
  IndexSources sources;
  const std::string message =
      error_of<ConfigError>([&] { ImageListLayout().scan(fixture.root, "test", sources); });
  EXPECT_NE(message.find(fixture.root + "/test.txt"), std::string::npos) << message;
  EXPECT_NE(message.find("train, val"), std::string::npos) << message;
}

}  // namespace
}  // namespace fct::data
