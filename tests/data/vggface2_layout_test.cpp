#include "framework/data/vggface2_layout.h"

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

const ImageEntry& entry_at(const ImageIndex& index, const std::string& path) {
  const auto it = std::find_if(index.entries.begin(), index.entries.end(),
                               [&](const ImageEntry& e) { return e.path == path; });
  if (it == index.entries.end()) throw std::runtime_error("no entry " + path);
  return *it;
}

TEST(VggFace2LayoutTest, CropBoxIsTheLooseBoxEnlarged13AboutItsCentre) {
  // The README's example row "n000001/0001_01",60,60,79,109.
  const RegionBox box = vggface2_crop_box(60, 60, 79, 109);
  EXPECT_NEAR(box.x, 60 - 0.15 * 79, 1e-4);   // 48.15
  EXPECT_NEAR(box.y, 60 - 0.15 * 109, 1e-4);  // 43.65
  EXPECT_NEAR(box.width, 102.7, 1e-4);
  EXPECT_NEAR(box.height, 141.7, 1e-4);
  EXPECT_NEAR(box.x + box.width / 2, 60 + 79 / 2.0, 1e-4);  // same centre
  // Not clamped: a box past the image's corner stays past it.
  const RegionBox outside = vggface2_crop_box(-6, -3, 20, 10);
  EXPECT_NEAR(outside.x, -9, 1e-5);
  EXPECT_NEAR(outside.y, -4.5, 1e-5);
}

TEST(VggFace2LayoutTest, TrainAndTestFromTheirListsWithBoxes) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_vggface2_fixture(dir.path());
  for (const std::string split : {"train", "test"}) {
    IndexSources sources;
    const auto index = VggFace2Layout().scan(fixture.root, split, sources);
    EXPECT_EQ(testing::compare_index(index, fixture.splits.at(split)), "") << split;
    EXPECT_EQ(index.layout, "vggface2");
    EXPECT_TRUE(contains(sources.files, fixture.root + "/bb_landmark/loose_bb_" + split + ".csv"));
    EXPECT_TRUE(contains(sources.files, fixture.root + "/identity_meta.csv"));
    EXPECT_TRUE(contains(sources.files,
                         fixture.root + (split == "train" ? "/train_list.txt" : "/meta/test.txt")));
    EXPECT_TRUE(contains(sources.directories, index.root + "/" + index.classes[0]));
  }
  IndexSources sources;
  const auto train = VggFace2Layout().scan(fixture.root, "train", sources);
  EXPECT_EQ(train.classes, (std::vector<std::string>{"n000002", "n000003", "n000005", "n000010"}));
  EXPECT_EQ(entry_at(train, "n000005/0013_01.jpg").label, 2);
  // Row 0 of the box file starts left of the image: the crop does too.
  EXPECT_LT(train.entries[0].box.x, 0);
}

TEST(VggFace2LayoutTest, IdentityFlagForTheOtherSplitIsAProblem) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_vggface2_fixture(dir.path());
  IndexSources sources;
  const auto train = VggFace2Layout().scan(fixture.root, "train", sources);
  ASSERT_EQ(train.problems.size(), 1u);
  EXPECT_NE(train.problems[0].find(fixture.root + "/identity_meta.csv:8: n000010 has Flag 0"),
            std::string::npos)
      << train.problems[0];
  // n009999 (Flag 1, in no list) and the quoted names with commas are fine.
  const auto test = VggFace2Layout().scan(fixture.root, "test", sources);
  EXPECT_TRUE(test.problems.empty()) << test.problems[0];
}

TEST(VggFace2LayoutTest, WithoutAListTheFoldersAreScanned) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_vggface2_fixture(dir.path());
  fs::remove(fixture.root + "/train_list.txt");
  fs::remove(fixture.root + "/meta/test.txt");
  for (const std::string split : {"train", "test"}) {
    IndexSources sources;
    const auto index = VggFace2Layout().scan(fixture.root, split, sources);
    EXPECT_EQ(testing::compare_index(index, fixture.splits.at(split)), "") << split;
  }
  // meta/<split>.txt is used when <split>_list.txt is absent.
  testing::write_text_file(fixture.root + "/meta/train.txt", "n000003/0001_01.jpg\n");
  IndexSources sources;
  const auto index = VggFace2Layout().scan(fixture.root, "train", sources);
  ASSERT_EQ(index.size(), 1);
  EXPECT_EQ(index.classes, std::vector<std::string>{"n000003"});
  EXPECT_EQ(index.entries[0].label, 0);
}

TEST(VggFace2LayoutTest, MissingListedFileStaysWithAProblem) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_vggface2_fixture(dir.path());
  const std::string gone = fixture.root + "/test/n000004/0001_02.jpg";
  fs::remove(gone);
  IndexSources sources;
  const auto index = VggFace2Layout().scan(fixture.root, "test", sources);
  EXPECT_EQ(entry_at(index, "n000004/0001_02.jpg").bytes, -1);
  EXPECT_EQ(entry_at(index, "n000004/0001_02.jpg").label, 1);
  ASSERT_EQ(index.problems.size(), 1u);
  EXPECT_NE(index.problems[0].find(fixture.root + "/meta/test.txt:"), std::string::npos);
  EXPECT_NE(index.problems[0].find(gone + " is missing"), std::string::npos);
}

TEST(VggFace2LayoutTest, MalformedFilesNameFileAndLine) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_vggface2_fixture(dir.path());
  IndexSources sources;
  const std::string boxes = fixture.root + "/bb_landmark/loose_bb_test.csv";
  testing::write_text_file(boxes,
                           "NAME_ID,X,Y,W,H\n\"n000001/0001_01\",1,2,3,4\n"
                           "\"n000001/0001_02\",1,two,3,4\n");
  EXPECT_NE(error_of<DataError>([&] {
              VggFace2Layout().scan(fixture.root, "test", sources);
            }).find(boxes + ":3:"),
            std::string::npos);
  testing::write_text_file(boxes, "NAME_ID,X,Y,W\n");
  EXPECT_NE(error_of<DataError>([&] {
              VggFace2Layout().scan(fixture.root, "test", sources);
            }).find("no column 'H'"),
            std::string::npos);
  fs::remove(boxes);
  const std::string list = fixture.root + "/meta/test.txt";
  testing::write_text_file(list, "n000001/0001_01.jpg\n\njust_a_name.jpg\n");
  EXPECT_NE(error_of<DataError>([&] {
              VggFace2Layout().scan(fixture.root, "test", sources);
            }).find(list + ":3:"),
            std::string::npos);
  testing::write_text_file(list, "n000001/0001_01.jpg\n");
  const std::string meta = fixture.root + "/identity_meta.csv";
  testing::write_text_file(meta,
                           "Class_ID, Name, Sample_Num, Flag, Gender\n"
                           "n000001, \"Unclosed, 1, 0, m\n");
  EXPECT_NE(error_of<DataError>([&] {
              VggFace2Layout().scan(fixture.root, "test", sources);
            }).find(meta + ":"),
            std::string::npos);
  testing::write_text_file(meta,
                           "Class_ID, Name, Sample_Num, Flag, Gender\n"
                           "n000001, \"A, B\", 1, yes, m\n");
  EXPECT_NE(error_of<DataError>([&] {
              VggFace2Layout().scan(fixture.root, "test", sources);
            }).find(meta + ":2: Flag must be 0 or 1"),
            std::string::npos);
}

TEST(VggFace2LayoutTest, UnknownSplitAndMissingFolder) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_vggface2_fixture(dir.path());
  IndexSources sources;
  const std::string message =
      error_of<ConfigError>([&] { VggFace2Layout().scan(fixture.root, "val", sources); });
  EXPECT_NE(message.find("known: train, test"), std::string::npos) << message;
  fs::remove_all(fixture.root + "/test");
  EXPECT_NE(error_of<DataError>([&] {
              VggFace2Layout().scan(fixture.root, "test", sources);
            }).find(fixture.root + "/test"),
            std::string::npos);
}

}  // namespace
}  // namespace fct::data
