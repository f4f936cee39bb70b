// verify_dataset (framework/data/dataset_verification.h) on a small tree of real JPEG and PNG
// files: images per class; unreadable files (empty, garbage, gone since indexing, a folder where a
// file was, listed but missing); truncated JPEGs; files whose extension claims another format; the
// index's label-list problems; the same report for any thread count; and its JSON and text forms.
#include "framework/data/dataset_verification.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "framework/core/error.h"
#include "tests/image_fixtures.h"
#include "tests/test_support.h"

namespace fct::data {
namespace {

namespace fs = std::filesystem;
using fct::testing::encode_jpeg;
using fct::testing::encode_png;
using fct::testing::test_pattern;

// Files under a scratch directory and the index over them, built by hand (the layouts have their
// own tests): classes a, b, c.
struct Tree {
  fct::testing::ScratchDir dir{"fct-verify"};
  ImageIndex index;

  Tree() {
    index.layout = "image_folder";
    index.split = "train";
    index.root = dir.path();
    index.classes = {"a", "b", "c"};
  }
  void add(const std::string& path, const std::vector<uint8_t>& bytes, int64_t label) {
    fs::create_directories(fs::path(dir.file(path)).parent_path());
    fct::testing::write_bytes(dir.file(path), bytes);
    index.entries.push_back({path, label, static_cast<int64_t>(bytes.size()), {}});
  }
  std::string file(const std::string& path) const { return dir.file(path); }
};

std::vector<uint8_t> jpeg(uint64_t seed) {
  return encode_jpeg(test_pattern(48, 64, 3, seed));
}

std::vector<uint8_t> png(uint64_t seed) {
  return encode_png(test_pattern(24, 40, 3, seed));
}

// The first 60% of a JPEG large enough that its header and first rows survive the cut.
std::vector<uint8_t> truncated_jpeg(uint64_t seed) {
  auto bytes = encode_jpeg(test_pattern(160, 200, 3, seed), {92});
  bytes.resize(bytes.size() * 6 / 10);
  return bytes;
}

std::vector<std::string> paths(const std::vector<FileFinding>& findings) {
  std::vector<std::string> result;
  for (const auto& f : findings) result.push_back(f.path);
  return result;
}

// A tree with one file of every kind the report distinguishes.
void add_every_kind(Tree& tree) {
  tree.add("a/good.jpg", jpeg(1), 0);
  tree.add("a/good.png", png(2), 0);
  tree.add("a/no_extension", jpeg(3), 0);  // no claim, so nothing to contradict
  tree.add("b/png_named.JPEG", png(4), 1);
  tree.add("b/jpeg_named.png", jpeg(5), 1);
  tree.add("b/cut.jpg", truncated_jpeg(6), 1);
  tree.add("c/empty.jpg", {}, 2);
  tree.add("c/garbage.jpg", {'G', 'I', 'F', '8', '9', 'a', 1, 2, 3, 4}, 2);
  tree.add("c/gone.jpg", jpeg(7), 2);
  fs::remove(tree.file("c/gone.jpg"));  // deleted after the index was built
  tree.add("c/folder.jpg", jpeg(8), 2);
  fs::remove(tree.file("c/folder.jpg"));
  fs::create_directory(tree.file("c/folder.jpg"));  // a folder where the file was
  // Listed by a label file, absent when the index was built.
  tree.index.entries.push_back({"c/listed.jpg", 2, -1, {}});
  tree.index.problems = {"labels.txt:4: c/listed.jpg is listed but missing"};
}

TEST(DatasetVerification, ACleanTreeIsClean) {
  Tree tree;
  tree.add("a/1.jpg", jpeg(1), 0);
  tree.add("a/2.JPG", jpeg(2), 0);
  tree.add("b/3.png", png(3), 1);
  tree.add("c/4.jpeg", encode_jpeg(test_pattern(30, 30, 1, 4), {90, testing::Chroma::kGrey}), 2);
  tree.add("c/5.jpg", encode_jpeg(test_pattern(40, 50, 3, 5), {90, testing::Chroma::k444, true}),
           2);
  const ImageFileDataset dataset("imagenet", tree.index, BadFilePolicy::kSkip);
  const VerificationReport report = verify_dataset(dataset, 1);
  EXPECT_EQ(report.dataset, "imagenet");
  EXPECT_EQ(report.split, "train");
  EXPECT_EQ(report.images, 5);
  EXPECT_EQ(report.classes, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(report.images_per_class, (std::vector<int64_t>{2, 1, 2}));
  EXPECT_TRUE(report.unreadable.empty());
  EXPECT_TRUE(report.truncated.empty());
  EXPECT_TRUE(report.disguised.empty());
  EXPECT_TRUE(report.problems.empty());
  EXPECT_TRUE(report.clean());
  EXPECT_EQ(report.to_json().at("clean"), true);
  EXPECT_NE(report.to_text().find("  clean\n"), std::string::npos) << report.to_text();
}

TEST(DatasetVerification, EveryKindOfBadFileLandsInItsList) {
  Tree tree;
  add_every_kind(tree);
  const ImageFileDataset dataset("imagenet", tree.index, BadFilePolicy::kSkip);
  const VerificationReport report = verify_dataset(dataset, 1);
  EXPECT_EQ(report.images, 11);
  EXPECT_EQ(report.images_per_class, (std::vector<int64_t>{3, 3, 5}));

  // Sorted by path; the detail without the path, which the report prints already.
  ASSERT_EQ(paths(report.unreadable),
            (std::vector<std::string>{tree.file("c/empty.jpg"), tree.file("c/folder.jpg"),
                                      tree.file("c/garbage.jpg"), tree.file("c/gone.jpg"),
                                      tree.file("c/listed.jpg")}));
  EXPECT_EQ(report.unreadable[0].detail, "empty file");
  EXPECT_EQ(report.unreadable[1].detail, "not a regular file");
  EXPECT_EQ(report.unreadable[2].detail,
            "neither JPEG nor PNG (it starts with 0x47 0x49 0x46 0x38)");
  EXPECT_EQ(report.unreadable[3].detail, "no longer exists (the index was built when it did)");
  EXPECT_EQ(report.unreadable[4].detail, "listed but missing when the index was built");

  ASSERT_EQ(paths(report.truncated), (std::vector<std::string>{tree.file("b/cut.jpg")}));
  EXPECT_EQ(report.truncated[0].detail, "premature end of JPEG data");

  ASSERT_EQ(paths(report.disguised), (std::vector<std::string>{tree.file("b/jpeg_named.png"),
                                                               tree.file("b/png_named.JPEG")}));
  EXPECT_EQ(report.disguised[0].detail, "a JPEG named as PNG");
  EXPECT_EQ(report.disguised[1].detail, "a PNG named as JPEG");

  EXPECT_EQ(report.problems,
            (std::vector<std::string>{"labels.txt:4: c/listed.jpg is listed but missing"}));
  EXPECT_FALSE(report.clean());
}

TEST(DatasetVerification, DisguisedFilesAloneLeaveTheTreeClean) {
  // They decode by their content: a run uses them, so they are worth a line but not a failure.
  Tree tree;
  tree.add("a/x.jpg", png(1), 0);
  tree.add("b/y.png", jpeg(2), 1);
  tree.add("c/z.jpg", jpeg(3), 2);
  const ImageFileDataset dataset("imagenet", tree.index, BadFilePolicy::kSkip);
  const VerificationReport report = verify_dataset(dataset, 2);
  EXPECT_EQ(report.disguised.size(), 2u);
  EXPECT_TRUE(report.clean());
  // A truncated file, or a problem of the index, each alone make it unclean.
  VerificationReport truncated = report;
  truncated.truncated.push_back({"t.jpg", "premature end of JPEG data"});
  EXPECT_FALSE(truncated.clean());
  VerificationReport problem = report;
  problem.problems.push_back("something");
  EXPECT_FALSE(problem.clean());
}

TEST(DatasetVerification, TheReportIsTheSameForAnyThreadCount) {
  Tree tree;
  add_every_kind(tree);
  for (int i = 0; i < 12; ++i)
    tree.add("a/more_" + std::to_string(i) + ".jpg", jpeg(static_cast<uint64_t>(20 + i)), i % 3);
  const ImageFileDataset dataset("imagenet", tree.index, BadFilePolicy::kSkip);
  const auto one = verify_dataset(dataset, 1).to_json();
  for (const int threads : {0, 2, 5, 64})
    EXPECT_EQ(verify_dataset(dataset, threads).to_json(), one);
}

TEST(DatasetVerification, ProgressEndsWithEveryImage) {
  Tree tree;
  for (int i = 0; i < 6; ++i) tree.add(std::to_string(i) + ".jpg", jpeg(i), i % 3);
  const ImageFileDataset dataset("imagenet", tree.index, BadFilePolicy::kSkip);
  std::vector<int64_t> calls;
  const auto report = verify_dataset(dataset, 2, [&](int64_t done) { calls.push_back(done); });
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back(), 6);
  for (std::size_t i = 1; i < calls.size(); ++i) EXPECT_LE(calls[i - 1], calls[i]);
  EXPECT_TRUE(report.clean());
}

TEST(DatasetVerification, JsonHoldsEveryListAndTheCountsByClassName) {
  Tree tree;
  add_every_kind(tree);
  const ImageFileDataset dataset("imagenet", tree.index, BadFilePolicy::kSkip);
  const nlohmann::json json = verify_dataset(dataset, 1).to_json();
  EXPECT_EQ(json.at("dataset"), "imagenet");
  EXPECT_EQ(json.at("split"), "train");
  EXPECT_EQ(json.at("images"), 11);
  EXPECT_EQ(json.at("classes"), 3);
  EXPECT_EQ(json.at("images_per_class"), (nlohmann::json{{"a", 3}, {"b", 3}, {"c", 5}}));
  ASSERT_EQ(json.at("unreadable").size(), 5u);
  EXPECT_EQ(json.at("unreadable")[0],
            (nlohmann::json{{"path", tree.file("c/empty.jpg")}, {"detail", "empty file"}}));
  EXPECT_EQ(json.at("truncated"),
            (nlohmann::json::array({nlohmann::json{{"path", tree.file("b/cut.jpg")},
                                                   {"detail", "premature end of JPEG data"}}})));
  EXPECT_EQ(json.at("disguised").size(), 2u);
  EXPECT_EQ(json.at("problems"),
            (nlohmann::json::array({"labels.txt:4: c/listed.jpg is listed but missing"})));
  EXPECT_EQ(json.at("clean"), false);
}

TEST(DatasetVerification, TextNamesTheSmallestAndLargestClassAndEveryFinding) {
  Tree tree;
  add_every_kind(tree);
  const ImageFileDataset dataset("imagenet", tree.index, BadFilePolicy::kSkip);
  const std::string text = verify_dataset(dataset, 1).to_text();
  for (const std::string& line : std::vector<std::string>{
           "imagenet train: 11 images, 3 classes\n",
           "  images per class: min 3 (a), max 5 (c)\n",
           "    a: 3\n",
           "    c: 5\n",
           "  unreadable (skipped, or the run fails with data.bad_files: fail): 5\n",
           "    " + tree.file("c/empty.jpg") + ": empty file\n",
           "  truncated (used as far as they decode): 1\n",
           "    " + tree.file("b/cut.jpg") + ": premature end of JPEG data\n",
           "  named as another format (decoded by their content): 2\n",
           "    " + tree.file("b/png_named.JPEG") + ": a PNG named as JPEG\n",
           "  label-list problems: 1\n",
           "    labels.txt:4: c/listed.jpg is listed but missing\n",
           "  NOT clean\n",
       })
    EXPECT_NE(text.find(line), std::string::npos) << "missing '" << line << "' in:\n" << text;
}

TEST(DatasetVerification, LongClassListsPrintOnlyEmptyClasses) {
  // 25 classes, one of them without images: only that one is listed by name. Of equal counts the
  // first is the minimum and the last the maximum (std::minmax_element).
  VerificationReport report;
  report.dataset = "places365";
  report.split = "val";
  for (int c = 0; c < 25; ++c) {
    report.classes.push_back("class_" + std::to_string(c));
    report.images_per_class.push_back(c == 7 ? 0 : 2);
  }
  report.images = 48;
  const std::string text = report.to_text();
  EXPECT_NE(text.find("  images per class: min 0 (class_7), max 2 (class_24)\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("    class_7: 0\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("    class_8: 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  clean\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace fct::data
