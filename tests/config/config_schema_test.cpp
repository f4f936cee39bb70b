// The key tree of a config struct (schema_of<T>): every key in visit order with its doc, scalars,
// lists of scalars and named enums as values, nested structs with their keys as children, lists
// of structs described by one element; and lookups by name.
#include "framework/config/config_schema.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "framework/config/cluster_profile.h"
#include "tests/config/test_configs.h"

namespace fct::config {
namespace {

using Kind = SchemaNode::Kind;

enum class Shade { kLight, kDark };
constexpr EnumNames<Shade, 2> enum_names(Shade) {
  return {{{Shade::kLight, "light"}, {Shade::kDark, "dark"}}};
}

// Structs two levels deep, inside a list and beside an enum and its list.
struct Layer {
  testing::Point centre;
  std::vector<testing::Point> corners;
  template <class V>
  void visit(V& v) {
    v("centre", centre, "the middle");
    v("corners", corners, "the corners");
  }
};

struct Drawing {
  Shade shade = Shade::kLight;
  std::vector<Shade> palette;
  std::vector<Layer> layers;
  testing::Required required;
  template <class V>
  void visit(V& v) {
    v("shade", shade, "light or dark");
    v("palette", palette, "shades in order");
    v("layers", layers, "bottom first");
    v("required", required, "a struct whose default fails its check");
  }
};

TEST(ConfigSchema, EveryKeyInVisitOrderWithItsKindAndDoc) {
  const SchemaNode root = schema_of<testing::AllTypes>();
  EXPECT_EQ(root.key, "");
  EXPECT_EQ(root.doc, "");
  EXPECT_EQ(root.kind, Kind::kStruct);
  EXPECT_EQ(root.child_keys(),
            (std::vector<std::string>{"flag", "count", "big", "ratio", "label", "tags", "ratios",
                                      "switches", "sizes", "origin", "points"}));
  const std::vector<std::pair<std::string, std::string>> values = {
      {"flag", "a boolean"}, {"count", "an int"},      {"big", "an int64"},
      {"ratio", "a double"}, {"label", "a string"},    {"tags", "strings"},
      {"ratios", "doubles"}, {"switches", "booleans"}, {"sizes", "ints"}};
  for (const auto& [key, doc] : values) {
    const SchemaNode* node = root.child(key);
    ASSERT_NE(node, nullptr) << key;
    EXPECT_EQ(node->key, key);
    EXPECT_EQ(node->doc, doc) << key;
    EXPECT_EQ(node->kind, Kind::kValue) << key;
    EXPECT_TRUE(node->children.empty()) << key;
  }
}

TEST(ConfigSchema, ANestedStructHasItsKeysAsChildren) {
  const SchemaNode root = schema_of<testing::AllTypes>();
  const SchemaNode* origin = root.child("origin");
  ASSERT_NE(origin, nullptr);
  EXPECT_EQ(origin->kind, Kind::kStruct);
  EXPECT_EQ(origin->doc, "a nested struct");
  EXPECT_EQ(origin->child_keys(), (std::vector<std::string>{"x", "weight"}));
  EXPECT_EQ(origin->child("x")->doc, "coordinate");
  EXPECT_EQ(origin->child("weight")->kind, Kind::kValue);
}

// A list of structs is one key (an override replaces the whole list); its children say what one
// element holds.
TEST(ConfigSchema, AListOfStructsIsDescribedByOneElement) {
  const SchemaNode root = schema_of<testing::AllTypes>();
  const SchemaNode* points = root.child("points");
  ASSERT_NE(points, nullptr);
  EXPECT_EQ(points->kind, Kind::kStructList);
  EXPECT_EQ(points->doc, "a list of structs");
  EXPECT_EQ(points->child_keys(), (std::vector<std::string>{"x", "weight"}));
  EXPECT_EQ(points->child("weight")->doc, "weight");
}

TEST(ConfigSchema, EnumsAreValuesAndStructsNestAtAnyDepth) {
  const SchemaNode root = schema_of<Drawing>();
  EXPECT_EQ(root.child_keys(),
            (std::vector<std::string>{"shade", "palette", "layers", "required"}));
  EXPECT_EQ(root.child("shade")->kind, Kind::kValue);
  EXPECT_EQ(root.child("palette")->kind, Kind::kValue);
  EXPECT_EQ(root.child("palette")->doc, "shades in order");
  const SchemaNode* layers = root.child("layers");
  ASSERT_NE(layers, nullptr);
  EXPECT_EQ(layers->kind, Kind::kStructList);
  ASSERT_NE(layers->child("centre"), nullptr);
  EXPECT_EQ(layers->child("centre")->kind, Kind::kStruct);
  EXPECT_EQ(layers->child("centre")->child_keys(), (std::vector<std::string>{"x", "weight"}));
  ASSERT_NE(layers->child("corners"), nullptr);
  EXPECT_EQ(layers->child("corners")->kind, Kind::kStructList);
  EXPECT_EQ(layers->child("corners")->child("x")->doc, "coordinate");
  // The schema holds no values: a default that would fail its check does not matter here.
  EXPECT_EQ(root.child("required")->kind, Kind::kStruct);
  EXPECT_EQ(root.child("required")->child("token")->doc, "must be given");
}

TEST(ConfigSchema, UnknownNamesAreNotChildren) {
  const SchemaNode root = schema_of<testing::AllTypes>();
  EXPECT_EQ(root.child("origin.x"), nullptr);  // one level at a time
  EXPECT_EQ(root.child("Flag"), nullptr);
  EXPECT_EQ(root.child(""), nullptr);
  EXPECT_EQ(root.child("flag")->child("x"), nullptr);
  EXPECT_TRUE(root.child("flag")->child_keys().empty());
}

// The cluster profile's launcher, an enum, is a value that overrides may set.
TEST(ConfigSchema, TheClusterProfileLauncherIsAValue) {
  const SchemaNode root = schema_of<ClusterProfile>();
  ASSERT_NE(root.child("launcher"), nullptr);
  EXPECT_EQ(root.child("launcher")->kind, Kind::kValue);
  EXPECT_EQ(root.child("launcher")->doc, "how ranks start: mpirun or srun");
  EXPECT_EQ(root.child("setup")->kind, Kind::kValue);
  EXPECT_EQ(root.children.front().key, "name");
}

}  // namespace
}  // namespace fct::config
