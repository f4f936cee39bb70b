#include "framework/data/imagenet_layout.h"

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
using testing::ImagenetVal;

std::string problems_of(const ImageIndex& index) {
  std::string all;
  for (const auto& p : index.problems) all += p + "\n";
  return all;
}

TEST(ImagenetLayoutTest, TrainIsTheSortedWnidFoldersWithBadFilesIndexedLikeAnyImage) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_imagenet_fixture(dir.path(), ImagenetVal::kDevkitMat);
  IndexSources sources;
  const auto index = ImagenetLayout().scan(fixture.root, "train", sources);
  EXPECT_EQ(testing::compare_index(index, fixture.splits.at("train")), "");
  EXPECT_EQ(index.layout, "imagenet");
  EXPECT_EQ(index.split, "train");
  EXPECT_EQ(index.classes.front(), "n01440764");
  EXPECT_TRUE(index.problems.empty()) << problems_of(index);
  EXPECT_TRUE(std::is_sorted(index.entries.begin(), index.entries.end(),
                             [](const auto& a, const auto& b) { return a.path < b.path; }));
  // A PNG named .JPEG and random bytes named .jpg are image files by name: the decoder judges.
  const auto& bad = fixture.splits.at("train").bad_files;
  EXPECT_EQ(bad.size(), testing::all_bad_files().size());
  for (const auto& [kind, path] : bad)
    EXPECT_TRUE(std::any_of(index.entries.begin(), index.entries.end(), [&](const ImageEntry& e) {
      return e.path == path;
    })) << path;
  EXPECT_TRUE(contains(sources.directories, index.root));
  EXPECT_TRUE(contains(sources.directories, index.root + "/n01751748"));
}

TEST(ImagenetLayoutTest, DevkitValMapsIlsvrcIdsToSortedWnidOrder) {
  // meta.mat lists the synsets in ID order n04596742, n01751748, n01440764, ... (not sorted).
  testing::ScratchDir dir;
  const auto fixture = testing::write_imagenet_fixture(dir.path(), ImagenetVal::kDevkitMat);
  IndexSources sources;
  const auto index = ImagenetLayout().scan(fixture.root, "val", sources);
  EXPECT_EQ(testing::compare_index(index, fixture.splits.at("val")), "");
  ASSERT_EQ(index.size(), 10);
  // Val image 1 has devkit ID 2 = n01751748, second of the sorted WNIDs.
  EXPECT_EQ(index.entries[0].path, "ILSVRC2012_val_00000001.JPEG");
  EXPECT_EQ(index.entries[0].label, 1);
  EXPECT_EQ(index.entries[1].label, 4);  // ID 1 = n04596742, last when sorted
  const std::string devkit = fixture.root + "/ILSVRC2012_devkit_t12/data";
  EXPECT_TRUE(contains(sources.files, devkit + "/meta.mat"));
  EXPECT_TRUE(contains(sources.files, devkit + "/ILSVRC2012_validation_ground_truth.txt"));
  EXPECT_TRUE(contains(sources.directories, fixture.root + "/train"));  // the class list
  EXPECT_TRUE(contains(sources.directories, index.root));
}

TEST(ImagenetLayoutTest, DevkitValWithMapClslocText) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_imagenet_fixture(dir.path(), ImagenetVal::kDevkitText);
  IndexSources sources;
  const auto index = ImagenetLayout().scan(fixture.root, "val", sources);
  EXPECT_EQ(testing::compare_index(index, fixture.splits.at("val")), "");
  EXPECT_TRUE(contains(sources.files, fixture.root + "/ILSVRC2012_devkit_t12/data/map_clsloc.txt"));
}

TEST(ImagenetLayoutTest, ValFolders) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_imagenet_fixture(dir.path(), ImagenetVal::kFolders);
  IndexSources sources;
  const auto index = ImagenetLayout().scan(fixture.root, "val", sources);
  EXPECT_EQ(testing::compare_index(index, fixture.splits.at("val")), "");
  EXPECT_TRUE(index.problems.empty()) << problems_of(index);
  EXPECT_TRUE(contains(sources.directories, index.root + "/n04596742"));
}

TEST(ImagenetLayoutTest, KaggleTrainAndUnorderedValSolution) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_imagenet_fixture(dir.path(), ImagenetVal::kKaggle);
  for (const std::string split : {"train", "val"}) {
    IndexSources sources;
    const auto index = ImagenetLayout().scan(fixture.root, split, sources);
    EXPECT_EQ(testing::compare_index(index, fixture.splits.at(split)), "") << split;
    EXPECT_EQ(index.root, fixture.root + "/ILSVRC/Data/CLS-LOC/" + split);
    EXPECT_TRUE(index.problems.empty()) << problems_of(index);
    if (split == "val") {
      EXPECT_TRUE(contains(sources.files, fixture.root + "/LOC_val_solution.csv"));
    }
  }
  // Without train folders the classes come from LOC_synset_mapping.txt.
  fs::remove_all(fixture.root + "/ILSVRC/Data/CLS-LOC/train");
  IndexSources sources;
  const auto index = ImagenetLayout().scan(fixture.root, "val", sources);
  EXPECT_EQ(testing::compare_index(index, fixture.splits.at("val")), "");
  EXPECT_TRUE(contains(sources.files, fixture.root + "/LOC_synset_mapping.txt"));
}

TEST(ImagenetLayoutTest, KnownAnswerFirstValImageIsSortedIndex65) {
  // The real devkit: ID 490 = n01751748, 65 leaves sort before it. Leaves only (no train folders),
  // plus an internal synset that must not become a class.
  testing::ScratchDir dir;
  std::vector<testing::DevkitSynset> synsets;
  int64_t id = 1;
  for (int i = 0; i < 65; ++i) {
    char wnid[16];
    std::snprintf(wnid, sizeof(wnid), "n0100%04d", i);
    if (id == 490) ++id;
    synsets.push_back({id++, wnid, "before", 0});
  }
  synsets.push_back({490, "n01751748", "sea snake", 0});
  for (int i = 0; i < 4; ++i)
    synsets.push_back({900 + i, "n0900000" + std::to_string(i), "after", 0});
  synsets.push_back({1001, "n00001740", "entity", 5});
  std::reverse(synsets.begin(), synsets.end());
  const std::string devkit = dir.path() + "/ILSVRC2012_devkit_t12/data";
  testing::write_devkit_meta_mat(devkit + "/meta.mat", synsets);
  testing::write_text_file(devkit + "/ILSVRC2012_validation_ground_truth.txt", "490\n901\n");
  fs::create_directories(dir.path() + "/val");
  for (const char* name : {"ILSVRC2012_val_00000001.JPEG", "ILSVRC2012_val_00000002.JPEG"})
    testing::write_bytes(dir.path() + "/val/" + name,
                         testing::encode_jpeg(testing::test_pattern(40, 48, 3, 1)));
  IndexSources sources;
  const auto index = ImagenetLayout().scan(dir.path(), "val", sources);
  ASSERT_EQ(index.classes.size(), 70u);
  ASSERT_EQ(index.size(), 2);
  EXPECT_EQ(index.entries[0].label, 65);
  EXPECT_EQ(index.classes[65], "n01751748");
  EXPECT_EQ(index.entries[1].label, 67);  // ID 901 = n09000001
}

TEST(ImagenetLayoutTest, ReadsMetaMatSynsetsAndLeaves) {
  testing::ScratchDir dir;
  testing::write_devkit_meta_mat(
      dir.file("meta.mat"),
      {{3, "n01440764", "tench", 0}, {1, "n04596742", "wok", 0}, {1001, "n00001740", "entity", 2}});
  const auto synsets = read_devkit_meta_mat(dir.file("meta.mat"));
  EXPECT_EQ(synsets.wnid_by_id, (std::map<int64_t, std::string>{
                                    {1, "n04596742"}, {3, "n01440764"}, {1001, "n00001740"}}));
  EXPECT_EQ(synsets.leaves, (std::vector<std::string>{"n01440764", "n04596742"}));
  testing::write_text_file(dir.file("bad.mat"), "not a MATLAB file");
  EXPECT_NE(error_of<DataError>([&] {
              read_devkit_meta_mat(dir.file("bad.mat"));
            }).find(dir.file("bad.mat")),
            std::string::npos);
}

TEST(ImagenetLayoutTest, MissingValFileStaysWithAProblem) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_imagenet_fixture(dir.path(), ImagenetVal::kDevkitMat);
  const std::string gone = fixture.root + "/val/ILSVRC2012_val_00000003.JPEG";
  fs::remove(gone);
  IndexSources sources;
  const auto index = ImagenetLayout().scan(fixture.root, "val", sources);
  ASSERT_EQ(index.size(), 10);
  EXPECT_EQ(index.entries[2].path, "ILSVRC2012_val_00000003.JPEG");
  EXPECT_EQ(index.entries[2].bytes, -1);
  EXPECT_EQ(index.entries[2].label, 0);
  ASSERT_EQ(index.problems.size(), 1u);
  EXPECT_NE(index.problems[0].find(gone), std::string::npos) << index.problems[0];

  // Kaggle: a solution row without its file, and a file without a row.
  testing::ScratchDir kaggle_dir;
  const auto kaggle = testing::write_imagenet_fixture(kaggle_dir.path(), ImagenetVal::kKaggle);
  const std::string val = kaggle.root + "/ILSVRC/Data/CLS-LOC/val/";
  fs::rename(val + "ILSVRC2012_val_00000004.JPEG", val + "ILSVRC2012_val_00000099.JPEG");
  const auto k = ImagenetLayout().scan(kaggle.root, "val", sources);
  EXPECT_EQ(k.size(), 10);
  EXPECT_EQ(k.entries[3].bytes, -1);
  const std::string problems = problems_of(k);
  EXPECT_NE(problems.find(val + "ILSVRC2012_val_00000004.JPEG is missing"), std::string::npos)
      << problems;
  EXPECT_NE(problems.find(val + "ILSVRC2012_val_00000099.JPEG: not in"), std::string::npos)
      << problems;
}

TEST(ImagenetLayoutTest, MalformedGroundTruthNamesFileAndLine) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_imagenet_fixture(dir.path(), ImagenetVal::kDevkitMat);
  const std::string truth =
      fixture.root + "/ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt";
  testing::write_text_file(truth, "2\n1\nthree\n");
  IndexSources sources;
  EXPECT_NE(error_of<DataError>([&] {
              ImagenetLayout().scan(fixture.root, "val", sources);
            }).find(truth + ":3:"),
            std::string::npos);
  testing::write_text_file(truth, "2\n77\n");
  EXPECT_NE(error_of<DataError>([&] {
              ImagenetLayout().scan(fixture.root, "val", sources);
            }).find(truth + ":2: ILSVRC2012_ID 77"),
            std::string::npos);
}

TEST(ImagenetLayoutTest, MalformedKaggleRowsAndMappingNameFileAndLine) {
  testing::ScratchDir dir;
  const auto fixture = testing::write_imagenet_fixture(dir.path(), ImagenetVal::kKaggle);
  const std::string solution = fixture.root + "/LOC_val_solution.csv";
  testing::write_text_file(solution, "ImageId,PredictionString\nILSVRC2012_val_00000001,\n");
  IndexSources sources;
  EXPECT_NE(error_of<DataError>([&] {
              ImagenetLayout().scan(fixture.root, "val", sources);
            }).find(solution + ":2:"),
            std::string::npos);
  testing::write_text_file(solution, "Id,Prediction\n");
  EXPECT_NE(error_of<DataError>([&] {
              ImagenetLayout().scan(fixture.root, "val", sources);
            }).find("no column 'ImageId'"),
            std::string::npos);
}

TEST(ImagenetLayoutTest, UnknownSplitMissingRootAndUnlabelledFlatVal) {
  testing::ScratchDir dir;
  IndexSources sources;
  const std::string split_error =
      error_of<ConfigError>([&] { ImagenetLayout().scan(dir.path(), "vall", sources); });
  EXPECT_NE(split_error.find("known: train, val"), std::string::npos) << split_error;
  EXPECT_NE(error_of<DataError>([&] {
              ImagenetLayout().scan(dir.file("nowhere"), "train", sources);
            }).find(dir.file("nowhere")),
            std::string::npos);
  EXPECT_NE(error_of<DataError>([&] {
              ImagenetLayout().scan(dir.path(), "train", sources);
            }).find(dir.file("train")),
            std::string::npos);
  const auto fixture = testing::write_imagenet_fixture(dir.path(), ImagenetVal::kDevkitMat);
  fs::remove_all(fixture.root + "/ILSVRC2012_devkit_t12");
  EXPECT_NE(error_of<DataError>([&] {
              ImagenetLayout().scan(fixture.root, "val", sources);
            }).find("ILSVRC2012_validation_ground_truth.txt"),
            std::string::npos);
}

}  // namespace
}  // namespace fct::data
