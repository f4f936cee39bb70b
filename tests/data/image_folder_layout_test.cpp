#include "framework/data/image_folder_layout.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "framework/core/error.h"
#include "tests/data/layout_test_support.h"
#include "tests/dataset_fixtures.h"
#include "tests/image_fixtures.h"
#include "tests/test_support.h"

namespace fct::data {
namespace {
namespace fs = std::filesystem;
using testing::contains;
using testing::error_of;

TEST(ImageFolderLayoutTest, ClassesAreSortedFoldersImagesFoundRecursively) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_image_folder_fixture(dir.path());
  for (const std::string split : {"train", "val"}) {
    IndexSources sources;
    const auto index = ImageFolderLayout().scan(fixture.root, split, sources);
    EXPECT_EQ(testing::compare_index(index, fixture.splits.at(split)), "") << split;
    EXPECT_EQ(index.layout, "image_folder");
    EXPECT_TRUE(index.problems.empty());
    EXPECT_TRUE(std::is_sorted(index.entries.begin(), index.entries.end(),
                               [](const auto& a, const auto& b) { return a.path < b.path; }));
    // Every directory listed, nested ones included.
    EXPECT_TRUE(contains(sources.directories, index.root));
    EXPECT_TRUE(contains(sources.directories, index.root + "/dog/puppies/old"));
  }
}

TEST(ImageFolderLayoutTest, ImagesOutsideClassFoldersAreProblems) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_image_folder_fixture(dir.path());
  const std::string loose = fixture.root + "/val/loose.jpg";
  testing::write_bytes(loose, testing::encode_jpeg(testing::test_pattern(40, 48, 3, 3)));
  IndexSources sources;
  const auto index = ImageFolderLayout().scan(fixture.root, "val", sources);
  EXPECT_EQ(testing::compare_index(index, fixture.splits.at("val")), "");
  ASSERT_EQ(index.problems.size(), 1u);
  EXPECT_NE(index.problems[0].find(loose), std::string::npos);
}

TEST(ImageFolderLayoutTest, UnknownSplitListsTheFoldersThere) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_image_folder_fixture(dir.path());
  IndexSources sources;
  const std::string message =
      error_of<ConfigError>([&] { ImageFolderLayout().scan(fixture.root, "trian", sources); });
  EXPECT_NE(message.find("known under " + fixture.root + ": train, val"), std::string::npos)
      << message;
  EXPECT_THROW(ImageFolderLayout().scan(fixture.root, "../x", sources), ConfigError);
  EXPECT_NE(error_of<DataError>([&] {
              ImageFolderLayout().scan(dir.file("none"), "train", sources);
            }).find(dir.file("none")),
            std::string::npos);
}

}  // namespace
}  // namespace fct::data
