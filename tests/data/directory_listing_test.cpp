// The directory helpers of the layouts (framework/data/directory_listing.h): image names by
// extension, joined and absolute paths, file sizes and required paths, sorted listings that record
// what they read in IndexSources, recursive image listings, line reading, the small parsers and
// the per-kind limit of ProblemLog.
#include "framework/data/directory_listing.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "framework/core/error.h"
#include "tests/test_support.h"

namespace fct::data {
namespace {

namespace fs = std::filesystem;
using fct::testing::ScratchDir;
using fct::testing::write_text_file;

std::string data_error(const std::function<void()>& action) {
  try {
    action();
  } catch (const DataError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a DataError";
  return "";
}

// Writes `text` at dir/relative, creating the folders on the way.
void put(const ScratchDir& dir, const std::string& relative, const std::string& text) {
  fs::create_directories(fs::path(dir.file(relative)).parent_path());
  write_text_file(dir.file(relative), text);
}

TEST(DirectoryListing, ImageNamesByTheirExtension) {
  for (const char* name : {"a.jpg", "a.JPEG", "a.jpeg", "a.png", "a.PNG", "x.b.Jpg",
                           "n01440764/n01440764_10026.JPEG", ".hidden.png"})
    EXPECT_TRUE(is_image_name(name)) << name;
  // Other extensions, none, a hidden file named only by its dot, a folder with an image's name.
  for (const char* name : {"a.txt", "a.gif", "a.jpg.txt", "a.jpe", "jpg", "png", ".png", ".jpg", "",
                           "a.", "photos.jpg/readme", "a.jpg "})
    EXPECT_FALSE(is_image_name(name)) << "'" << name << "'";
}

TEST(DirectoryListing, JoinPathAddsOneSlash) {
  EXPECT_EQ(join_path("a", "b"), "a/b");
  EXPECT_EQ(join_path("a/", "b"), "a/b");
  EXPECT_EQ(join_path("/data/imagenet", "train/x.JPEG"), "/data/imagenet/train/x.JPEG");
  EXPECT_EQ(join_path("/", "x"), "/x");
  EXPECT_EQ(join_path("", "b"), "b");
  EXPECT_EQ(join_path("a", ""), "a");
  EXPECT_EQ(join_path("", ""), "");
}

TEST(DirectoryListing, AbsoluteDirectoryIsNormalAndHasNoTrailingSlash) {
  EXPECT_EQ(absolute_directory("/data/x/"), "/data/x");
  EXPECT_EQ(absolute_directory("/data/./x/../y"), "/data/y");
  EXPECT_EQ(absolute_directory("/data//z"), "/data/z");
  EXPECT_EQ(absolute_directory("/"), "/");
  // A relative root is taken from the working directory.
  EXPECT_EQ(absolute_directory("rel/dir/"), (fs::current_path() / "rel/dir").string());
}

TEST(DirectoryListing, FileBytesAndRequiredPaths) {
  ScratchDir dir("fct-listing");
  put(dir, "five.txt", "12345");
  put(dir, "empty.txt", "");
  fs::create_directory(dir.file("folder"));
  EXPECT_EQ(file_bytes(dir.file("five.txt")), 5);
  EXPECT_EQ(file_bytes(dir.file("empty.txt")), 0);
  EXPECT_EQ(file_bytes(dir.file("missing.txt")), -1);
  EXPECT_EQ(file_bytes(dir.file("folder")), -1);  // not a regular file
  EXPECT_TRUE(is_file(dir.file("five.txt")));
  EXPECT_FALSE(is_file(dir.file("folder")));
  EXPECT_FALSE(is_file(dir.file("missing.txt")));
  EXPECT_TRUE(is_directory(dir.file("folder")));
  EXPECT_FALSE(is_directory(dir.file("five.txt")));
  EXPECT_FALSE(is_directory(dir.file("missing")));

  EXPECT_NO_THROW(require_file(dir.file("five.txt"), "label file"));
  EXPECT_NO_THROW(require_directory(dir.file("folder"), "train folder"));
  EXPECT_EQ(data_error([&] { require_file(dir.file("folder"), "label file"); }),
            "label file " + dir.file("folder") + " not found (no such file)");
  EXPECT_EQ(data_error([&] { require_directory(dir.file("five.txt"), "train folder"); }),
            "train folder " + dir.file("five.txt") + " not found (no such directory)");
}

TEST(DirectoryListing, ListingIsSortedByBytesAndRecordsTheDirectory) {
  ScratchDir dir("fct-listing");
  put(dir, "b", "");
  put(dir, "B", "");
  put(dir, "_x", "");
  put(dir, "a.jpg", "");
  fs::create_directory(dir.file("sub"));
  fs::create_directory(dir.file("A dir"));
  IndexSources sources;
  const auto entries = list_directory(dir.path(), sources);
  std::vector<std::pair<std::string, bool>> seen;
  for (const auto& entry : entries) seen.emplace_back(entry.name, entry.is_directory);
  // Byte order: 'A' < 'B' < '_' < 'a' < 'b' < 's'.
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, bool>>{{"A dir", true},
                                                             {"B", false},
                                                             {"_x", false},
                                                             {"a.jpg", false},
                                                             {"b", false},
                                                             {"sub", true}}));
  EXPECT_EQ(sources.directories, (std::vector<std::string>{dir.path()}));
  EXPECT_TRUE(sources.files.empty());

  IndexSources more;
  EXPECT_EQ(list_subdirectories(dir.path(), more), (std::vector<std::string>{"A dir", "sub"}));
  EXPECT_EQ(more.directories, (std::vector<std::string>{dir.path()}));

  // A directory that cannot be listed is named, and not recorded.
  IndexSources none;
  const std::string message = data_error([&] { list_directory(dir.file("nothing"), none); });
  EXPECT_EQ(message.rfind("cannot list directory " + dir.file("nothing") + ": ", 0), 0u) << message;
  EXPECT_TRUE(none.directories.empty());
}

TEST(DirectoryListing, ImageFilesRecursivelyWithSizesPrefixAndSources) {
  ScratchDir dir("fct-listing");
  put(dir, "x.jpg", "abc");
  put(dir, "notes.txt", "not an image");
  put(dir, ".png", "hidden, nameless");
  put(dir, "a/v.jpg", "1234");
  put(dir, "a.b/w.JPEG", "12");
  put(dir, "dir.jpg/inner.png", "123456");  // a folder named like an image is still a folder
  put(dir, "sub/y.PNG", "12345");
  put(dir, "sub/deeper/z.jpeg", "1");

  IndexSources flat_sources;
  const auto flat = list_image_files(dir.path(), false, flat_sources);
  ASSERT_EQ(flat.size(), 1u);
  EXPECT_EQ(flat[0].path, "x.jpg");
  EXPECT_EQ(flat[0].bytes, 3);
  EXPECT_EQ(flat_sources.directories, (std::vector<std::string>{dir.path()}));

  IndexSources sources;
  const auto files = list_image_files(dir.path(), true, sources, "n01");
  std::vector<std::pair<std::string, int64_t>> seen;
  for (const auto& file : files) seen.emplace_back(file.path, file.bytes);
  // Sorted by the whole relative path: "a.b/..." before "a/..." ('.' < '/').
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, int64_t>>{{"n01/a.b/w.JPEG", 2},
                                                                {"n01/a/v.jpg", 4},
                                                                {"n01/dir.jpg/inner.png", 6},
                                                                {"n01/sub/deeper/z.jpeg", 1},
                                                                {"n01/sub/y.PNG", 5},
                                                                {"n01/x.jpg", 3}}));
  // Every directory listed, in the order the walk listed them.
  EXPECT_EQ(
      sources.directories,
      (std::vector<std::string>{dir.path(), dir.file("a"), dir.file("a.b"), dir.file("dir.jpg"),
                                dir.file("sub"), dir.file("sub/deeper")}));
  EXPECT_TRUE(sources.files.empty());
}

TEST(DirectoryListing, ReadLinesNumbersLinesAndAcceptsCrlf) {
  ScratchDir dir("fct-listing");
  put(dir, "list.txt", "one\r\ntwo\n\n  three \nlast");
  IndexSources sources;
  std::vector<std::pair<int64_t, std::string>> lines;
  read_lines(dir.file("list.txt"), sources,
             [&](int64_t number, std::string_view line) { lines.emplace_back(number, line); });
  EXPECT_EQ(lines, (std::vector<std::pair<int64_t, std::string>>{
                       {1, "one"}, {2, "two"}, {3, ""}, {4, "  three "}, {5, "last"}}));
  EXPECT_EQ(sources.files, (std::vector<std::string>{dir.file("list.txt")}));
  EXPECT_TRUE(sources.directories.empty());

  // A final newline ends the last line; it does not start another.
  put(dir, "two.txt", "a\nb\n");
  int64_t count = 0;
  read_lines(dir.file("two.txt"), sources, [&](int64_t, std::string_view) { ++count; });
  EXPECT_EQ(count, 2);
  EXPECT_EQ(sources.files.size(), 2u);

  IndexSources none;
  EXPECT_EQ(data_error([&] {
              read_lines(dir.file("missing.txt"), none, [](int64_t, std::string_view) {});
            }),
            "cannot read " + dir.file("missing.txt"));
  EXPECT_TRUE(none.files.empty());
}

TEST(DirectoryListing, TrimSplitLastFieldAndParseInteger) {
  EXPECT_EQ(trim(" \t x  y \r\n"), "x  y");
  EXPECT_EQ(trim("   "), "");
  EXPECT_EQ(split_last_field("a path with spaces  12"),
            (std::pair<std::string_view, std::string_view>{"a path with spaces", "12"}));
  EXPECT_EQ(split_last_field("  x.jpg\t3 \r"),
            (std::pair<std::string_view, std::string_view>{"x.jpg", "3"}));
  EXPECT_EQ(split_last_field("alone"),
            (std::pair<std::string_view, std::string_view>{"alone", ""}));
  EXPECT_EQ(parse_integer(" 42 ").value_or(0), 42);
  EXPECT_EQ(parse_integer("-3").value_or(0), -3);
  EXPECT_EQ(parse_integer("9223372036854775807").value_or(0), INT64_MAX);
  EXPECT_FALSE(parse_integer("9223372036854775808"));  // past int64
  EXPECT_FALSE(parse_integer("4x"));
  EXPECT_FALSE(parse_integer("1 2"));
  EXPECT_FALSE(parse_integer("1.0"));
  EXPECT_FALSE(parse_integer(""));
  EXPECT_FALSE(parse_integer("  "));
  EXPECT_EQ(line_error("labels.txt", 7, "bad label"), "labels.txt:7: bad label");
}

TEST(DirectoryListing, ProblemLogCountsPastItsLimitPerKindAndEmptiesOnTake) {
  ProblemLog log(2);
  log.add("missing file", "m0");
  log.add("unlisted image", "u0");
  for (int i = 1; i < 4; ++i) log.add("missing file", "m" + std::to_string(i));
  EXPECT_EQ(log.take(),
            (std::vector<std::string>{"m0", "u0", "m1", "... and 2 more: missing file"}));
  EXPECT_TRUE(log.take().empty());  // take() leaves nothing behind, counts included
  log.add("missing file", "again");
  EXPECT_EQ(log.take(), (std::vector<std::string>{"again"}));

  ProblemLog defaults;  // 200 per kind
  for (int i = 0; i < 201; ++i) defaults.add("k", std::to_string(i));
  const auto problems = defaults.take();
  ASSERT_EQ(problems.size(), 201u);
  EXPECT_EQ(problems[199], "199");
  EXPECT_EQ(problems[200], "... and 1 more: k");
}

}  // namespace
}  // namespace fct::data
