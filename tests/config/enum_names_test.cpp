// Named enums (enum_names.h, choices.h): every enum of choices.h maps each value to its YAML name
// and back, lists its names in declaration order, knows no other name (case matters), and is a
// named enum while other types are not; the config writer writes enum fields (and lists of them)
// by name and the reader reads them back, an unknown name being an error that lists the choices.
#include "framework/config/enum_names.h"

#include <gtest/gtest.h>

#include <cctype>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "framework/config/choices.h"
#include "framework/config/config_loader.h"
#include "framework/config/config_writer.h"
#include "tests/config/test_configs.h"

namespace fct::config {
namespace {

using testing::config_error;

// Every value of `E` with its name, in declaration order: names_of, name_of and enum_from_name
// agree with it, and nothing else is a name.
template <class E>
void expect_names(const std::vector<std::pair<E, std::string>>& expected) {
  static_assert(is_named_enum_v<E>);
  std::vector<std::string> names;
  for (const auto& [value, name] : expected) {
    names.push_back(name);
    EXPECT_EQ(name_of(value), name);
    const std::optional<E> back = enum_from_name<E>(name);
    ASSERT_TRUE(back.has_value()) << name;
    EXPECT_EQ(*back, value) << name;
    // Names are exact: another case, or a space around it, is no name.
    std::string upper = name;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_FALSE(enum_from_name<E>(upper).has_value()) << upper;
    EXPECT_FALSE(enum_from_name<E>(" " + name).has_value()) << name;
  }
  EXPECT_EQ(names_of<E>(), names);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
  EXPECT_FALSE(enum_from_name<E>("").has_value());
  EXPECT_FALSE(enum_from_name<E>("no such name").has_value());
  // A value that was never declared is shown by its number, not as some other name.
  EXPECT_EQ(name_of(static_cast<E>(99)), "<99>");
}

TEST(EnumNames, BadFilePolicy) {
  expect_names<BadFilePolicy>({{BadFilePolicy::kSkip, "skip"}, {BadFilePolicy::kFail, "fail"}});
}

TEST(EnumNames, EmbeddingHead) {
  expect_names<EmbeddingHead>({{EmbeddingHead::kConv, "conv"}, {EmbeddingHead::kLinear, "linear"}});
}

TEST(EnumNames, DeviceChoice) {
  expect_names<DeviceChoice>(
      {{DeviceChoice::kAuto, "auto"}, {DeviceChoice::kCpu, "cpu"}, {DeviceChoice::kCuda, "cuda"}});
}

TEST(EnumNames, FailMode) {
  expect_names<FailMode>({{FailMode::kThrow, "throw"},
                          {FailMode::kKill, "kill"},
                          {FailMode::kHang, "hang"},
                          {FailMode::kPreempt, "preempt"}});
}

TEST(EnumNames, FeatureFeed) {
  expect_names<FeatureFeed>(
      {{FeatureFeed::kCached, "cached"}, {FeatureFeed::kOnTheFly, "on_the_fly"}});
}

TEST(EnumNames, Distance) {
  expect_names<Distance>({{Distance::kL2, "l2"}, {Distance::kCosine, "cosine"}});
}

TEST(EnumNames, Launcher) {
  expect_names<Launcher>({{Launcher::kMpirun, "mpirun"}, {Launcher::kSrun, "srun"}});
}

// An enum without names, declared here.
enum class Unnamed { kA, kB };

struct NotAnEnum {};

TEST(EnumNames, OnlyEnumsThatDeclareTheirNamesAreNamedEnums) {
  EXPECT_TRUE(is_named_enum_v<Distance>);
  EXPECT_TRUE(is_named_enum_v<Launcher>);
  EXPECT_FALSE(is_named_enum_v<Unnamed>);
  EXPECT_FALSE(is_named_enum_v<int>);
  EXPECT_FALSE(is_named_enum_v<std::string>);
  EXPECT_FALSE(is_named_enum_v<NotAnEnum>);
  // The names are constants: usable where a constant is needed.
  static_assert(enum_names(Distance{})[1].value == Distance::kCosine);
  static_assert(enum_names(Distance{})[1].name == "cosine");
  static_assert(enum_names(FailMode{}).size() == 4);
}

// A config with enum fields, declared here: an enum of its own and one from choices.h.
enum class Shade { kLight, kDark };
constexpr EnumNames<Shade, 2> enum_names(Shade) {
  return {{{Shade::kLight, "light"}, {Shade::kDark, "dark"}}};
}

struct Paint {
  Shade shade = Shade::kLight;
  std::vector<Shade> layers;
  Distance distance = Distance::kL2;
  template <class V>
  void visit(V& v) {
    v("shade", shade, "light or dark");
    v("layers", layers, "shades, bottom first");
    v("distance", distance, "l2 or cosine");
  }
};

TEST(EnumNames, TheWriterWritesEnumFieldsByName) {
  EXPECT_EQ(to_yaml(Paint{}), "shade: light\nlayers: []\ndistance: l2\n");
  Paint paint;
  paint.shade = Shade::kDark;
  paint.layers = {Shade::kDark, Shade::kLight, Shade::kDark};
  paint.distance = Distance::kCosine;
  EXPECT_EQ(to_yaml(paint), "shade: dark\nlayers: [dark, light, dark]\ndistance: cosine\n");
}

TEST(EnumNames, TheReaderReadsWhatTheWriterWrote) {
  Paint paint;
  paint.shade = Shade::kDark;
  paint.layers = {Shade::kLight, Shade::kDark};
  paint.distance = Distance::kCosine;
  const auto loaded = parse_config<Paint>(to_yaml(paint), "paint.yaml");
  EXPECT_EQ(loaded.config.shade, Shade::kDark);
  EXPECT_EQ(loaded.config.layers, (std::vector<Shade>{Shade::kLight, Shade::kDark}));
  EXPECT_EQ(loaded.config.distance, Distance::kCosine);
  EXPECT_EQ(loaded.resolved_yaml, to_yaml(paint));
  // Absent keys keep their defaults; an override sets an enum by name too.
  const auto overridden = parse_config<Paint>("layers: [light]\n", "paint.yaml", {"shade=dark"});
  EXPECT_EQ(overridden.config.shade, Shade::kDark);
  EXPECT_EQ(overridden.config.layers, std::vector<Shade>{Shade::kLight});
  EXPECT_EQ(overridden.config.distance, Distance::kL2);
}

TEST(EnumNames, AnUnknownNameIsAnErrorListingTheChoices) {
  const auto error_of = [](const std::string& text) {
    return config_error([&] { parse_config<Paint>(text, "paint.yaml"); });
  };
  EXPECT_EQ(error_of("shade: grey\n"),
            "paint.yaml:1:8: key 'shade': expected one of: light, dark, got 'grey'");
  EXPECT_EQ(error_of("layers: [dark, dak]\n"),
            "paint.yaml:1:16: key 'layers[1]': expected one of: light, dark, got 'dak' (did you "
            "mean 'dark'?)");
  EXPECT_EQ(error_of("distance: L2\n"),
            "paint.yaml:1:11: key 'distance': expected one of: l2, cosine, got 'L2' (did you mean "
            "'l2'?)");
  EXPECT_EQ(error_of("shade: {a: 1}\n"),
            "paint.yaml:1:8: key 'shade': expected a string, got a map");
}

}  // namespace
}  // namespace fct::config
