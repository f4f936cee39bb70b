#include "framework/data/image_layout.h"

#include <gtest/gtest.h>

#include "framework/core/error.h"
#include "framework/data/directory_listing.h"
#include "tests/dataset_fixtures.h"
#include "tests/test_support.h"

namespace fct::data {
namespace {

TEST(LayoutRegistryTest, FiveLayoutsEachNamedAsRegistered) {
  const auto& registry = layout_registry();
  EXPECT_EQ(registry.names(), (std::vector<std::string>{"imagenet", "places365", "vggface2",
                                                        "image_folder", "image_list"}));
  for (const auto& name : registry.names()) {
    const auto layout = registry.get(name)();
    EXPECT_EQ(layout->name(), name);
    EXPECT_FALSE(layout->splits().empty());
  }
  EXPECT_THROW(registry.get("imagenet1k"), Error);
}

TEST(LayoutRegistryTest, EveryFixtureReadsBackThroughItsLayout) {
  for (const auto& name : testing::fixture_names()) {
    testing::ScratchDir dir;
    const auto fixture = testing::write_fixture(name, dir.path());
    const auto layout = layout_registry().get(fixture.layout)();
    for (const auto& [split, expected] : fixture.splits) {
      IndexSources sources;
      const auto index = layout->scan(fixture.root, split, sources);
      EXPECT_EQ(testing::compare_index(index, expected), "") << name << " " << split;
      EXPECT_FALSE(sources.files.empty() && sources.directories.empty()) << name;
    }
  }
}

TEST(DirectoryListingLayoutTest, ImageNamesByExtensionInAnyCase) {
  for (const char* name : {"a.JPEG", "a.jpg", "b.Png", "c.jPeG"}) EXPECT_TRUE(is_image_name(name));
  for (const char* name : {"a.txt", "jpg", ".jpg", "a.jpg.txt", "a.gif"})
    EXPECT_FALSE(is_image_name(name)) << name;
}

TEST(DirectoryListingLayoutTest, SplitLastFieldAndProblemLimit) {
  EXPECT_EQ(split_last_field("a b  c\t 12 ").first, "a b  c");
  EXPECT_EQ(split_last_field("a b  c\t 12 ").second, "12");
  EXPECT_EQ(split_last_field("alone").second, "");
  ProblemLog log(2);
  for (int i = 0; i < 5; ++i) log.add("missing file", "m" + std::to_string(i));
  log.add("other", "o");
  EXPECT_EQ(log.take(),
            (std::vector<std::string>{"m0", "m1", "o", "... and 3 more: missing file"}));
  EXPECT_EQ(absolute_directory("/data/x/"), "/data/x");
  EXPECT_EQ(join_path("", "b"), "b");
  EXPECT_EQ(join_path("a", "b"), "a/b");
}

}  // namespace
}  // namespace fct::data
