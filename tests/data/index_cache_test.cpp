// The index cache: built once, loaded while nothing it was built from changed, rebuilt when a
// label file or a scanned directory changes, when asked to, and when the cache file is damaged.
#include "framework/data/index_cache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "framework/core/error.h"
#include "tests/test_support.h"

namespace fct::data {
namespace {

namespace fs = std::filesystem;

// Lists `<root>/images` and reads labels from `<root>/labels.txt` ("name label" lines).
class CountingLayout : public ImageLayout {
 public:
  mutable int scans = 0;
  std::string name() const override { return "counting"; }
  std::vector<std::string> splits() const override { return {"train"}; }
  ImageIndex scan(const std::string& root, const std::string& split,
                  IndexSources& sources) const override {
    ++scans;
    ImageIndex index;
    index.layout = name();
    index.split = split;
    index.root = root;
    index.classes = {"zero", "one"};
    std::ifstream labels(root + "/labels.txt");
    std::string file;
    int64_t label = 0;
    while (labels >> file >> label) index.entries.push_back({"images/" + file, label, 1, {}});
    sources.files.push_back(root + "/labels.txt");
    sources.directories.push_back(root + "/images");
    return index;
  }
};

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// Gives a path another modification time in the past, as an earlier edit would (file systems
// with coarse timestamps would otherwise see no change within a test; a time in the future would
// look like a change during the scan, which is never cached).
void backdate(const std::string& path, int minutes) {
  fs::last_write_time(path, fs::file_time_type::clock::now() - std::chrono::minutes(minutes));
}

TEST(IndexCache, BuildsOnceAndLoadsWhileNothingChanged) {
  fct::testing::ScratchDir dir("fct-index-cache");
  const std::string root = dir.file("data");
  fs::create_directories(root + "/images");
  write(root + "/labels.txt", "a.jpg 0\nb.jpg 1\n");
  const std::string cache = dir.file("cache");
  CountingLayout layout;

  const IndexLoad first = load_or_build_index(layout, {root, "train", cache});
  EXPECT_FALSE(first.from_cache);
  EXPECT_EQ(layout.scans, 1);
  EXPECT_TRUE(fs::exists(first.cache_path));
  EXPECT_EQ(first.cache_path, index_cache_path(cache, "counting", root, "train"));

  const IndexLoad second = load_or_build_index(layout, {root, "train", cache});
  EXPECT_TRUE(second.from_cache);
  EXPECT_EQ(layout.scans, 1);
  ASSERT_EQ(second.index.size(), 2);
  EXPECT_EQ(second.index.entries[1].path, "images/b.jpg");
  EXPECT_EQ(second.index.entries[1].label, 1);

  // A changed label file: rescanned.
  write(root + "/labels.txt", "a.jpg 0\nb.jpg 1\nc.jpg 1\n");
  backdate(root + "/labels.txt", 30);
  const IndexLoad third = load_or_build_index(layout, {root, "train", cache});
  EXPECT_FALSE(third.from_cache);
  EXPECT_NE(third.stale_reason.find("labels.txt"), std::string::npos) << third.stale_reason;
  EXPECT_EQ(third.index.size(), 3);
  EXPECT_EQ(layout.scans, 2);

  // A file added to a scanned directory changes the directory's mtime.
  write(root + "/images/d.jpg", "x");
  backdate(root + "/images", 20);
  EXPECT_FALSE(load_or_build_index(layout, {root, "train", cache}).from_cache);
  EXPECT_EQ(layout.scans, 3);
  EXPECT_TRUE(load_or_build_index(layout, {root, "train", cache}).from_cache);

  // Asked to rebuild; then a damaged cache file is rebuilt, not trusted.
  EXPECT_FALSE(load_or_build_index(layout, {root, "train", cache, true}).from_cache);
  EXPECT_EQ(layout.scans, 4);
  const std::string path = index_cache_path(cache, "counting", root, "train");
  const auto size = fs::file_size(path);
  fs::resize_file(path, size - 5);
  const IndexLoad damaged = load_or_build_index(layout, {root, "train", cache});
  EXPECT_FALSE(damaged.from_cache);
  EXPECT_NE(damaged.stale_reason.find("unreadable"), std::string::npos);
  EXPECT_EQ(damaged.index.size(), 3);
  EXPECT_EQ(layout.scans, 5);
}

TEST(IndexCache, ASourceChangedDuringTheScanIsNotCached) {
  fct::testing::ScratchDir dir("fct-index-cache");
  const std::string root = dir.file("data");
  fs::create_directories(root + "/images");
  write(root + "/labels.txt", "a.jpg 0\n");
  // An mtime after the scan started: the file was still being written.
  fs::last_write_time(root + "/labels.txt",
                      fs::file_time_type::clock::now() + std::chrono::seconds(30));
  CountingLayout layout;
  const IndexLoad load = load_or_build_index(layout, {root, "train", dir.file("cache")});
  EXPECT_EQ(load.index.size(), 1);
  EXPECT_FALSE(fs::exists(index_cache_path(dir.file("cache"), "counting", root, "train")));
}

TEST(IndexCache, AnUnwritableCacheDirectoryOnlyCostsARescan) {
  fct::testing::ScratchDir dir("fct-index-cache");
  const std::string root = dir.file("data");
  fs::create_directories(root + "/images");
  write(root + "/labels.txt", "a.jpg 0\n");
  write(dir.file("not-a-directory"), "x");
  CountingLayout layout;
  const IndexLoad load =
      load_or_build_index(layout, {root, "train", dir.file("not-a-directory") + "/cache"});
  EXPECT_EQ(load.index.size(), 1);
  EXPECT_TRUE(load.cache_path.empty());
}

TEST(IndexCache, WithoutACacheDirectoryEveryCallScans) {
  fct::testing::ScratchDir dir("fct-index-cache");
  const std::string root = dir.file("data");
  fs::create_directories(root + "/images");
  write(root + "/labels.txt", "a.jpg 0\n");
  CountingLayout layout;
  EXPECT_FALSE(load_or_build_index(layout, {root, "train", ""}).from_cache);
  EXPECT_FALSE(load_or_build_index(layout, {root, "train", ""}).from_cache);
  EXPECT_EQ(layout.scans, 2);
}

TEST(IndexCache, DifferentRootsAndSplitsHaveDifferentFiles) {
  EXPECT_NE(index_cache_path("c", "imagenet", "/data/a", "train"),
            index_cache_path("c", "imagenet", "/data/b", "train"));
  EXPECT_NE(index_cache_path("c", "imagenet", "/data/a", "train"),
            index_cache_path("c", "imagenet", "/data/a", "val"));
  EXPECT_EQ(index_cache_path("c", "imagenet", "/data/a/", "val"),
            index_cache_path("c", "imagenet", "/data/a/.", "val"));
}

}  // namespace
}  // namespace fct::data
