// The one way configs are loaded: file, then overrides, then the typed struct, its resolved YAML
// and the hash of that YAML; registry names checked against the names the caller hands in, in
// fields and in lists alike.
#include "framework/config/config_loader.h"

#include <gtest/gtest.h>

#include "framework/core/hash.h"
#include "tests/config/test_configs.h"
#include "tests/test_support.h"

namespace fct::config {
namespace {

using testing::config_error;

// A pipeline stage as a plugin would declare it: a registry name and a list of them.
struct Pipeline {
  std::string optimizer = "sgd";
  std::vector<std::string> orders;

  template <class V>
  void visit(V& v) {
    v("optimizer", optimizer, "optimiser, by registry name", registered("optimizer"));
    v("orders", orders, "orders, by registry name", registered("order", {"none"}));
  }
};

RegisteredNames pipeline_names() {
  RegisteredNames names;
  names.add("optimizer", {"sgd", "adam"}).add("order", {"random", "sigma"});
  return names;
}

TEST(ConfigLoader, ResolvedYamlAndItsHashDescribeTheStruct) {
  fct::testing::ScratchDir dir("fct-config-loader");
  fct::testing::write_text_file(dir.file("p.yaml"), "count: 4\nlabel: x\n");
  const auto loaded = load_config<testing::AllTypes>(dir.file("p.yaml"), {"ratio=0.25"});
  EXPECT_EQ(loaded.config.count, 4);
  EXPECT_DOUBLE_EQ(loaded.config.ratio, 0.25);
  EXPECT_EQ(loaded.source_path, dir.file("p.yaml"));
  EXPECT_EQ(loaded.overrides, (std::vector<std::string>{"ratio=0.25"}));
  EXPECT_EQ(loaded.resolved_yaml, to_yaml(loaded.config));
  EXPECT_EQ(loaded.hash, fnv1a(loaded.resolved_yaml));
  // The same settings reached another way give the same hash; another value another one.
  EXPECT_EQ(parse_config<testing::AllTypes>("label: x\ncount: 4\nratio: 0.25\n", "q.yaml").hash,
            loaded.hash);
  EXPECT_NE(parse_config<testing::AllTypes>("label: y\ncount: 4\nratio: 0.25\n", "q.yaml").hash,
            loaded.hash);
}

TEST(ConfigLoader, RegisteredNamesComeFromTheCaller) {
  const auto loaded = parse_config<Pipeline>("optimizer: adam\norders: [sigma, none]\n", "p.yaml",
                                             {}, pipeline_names());
  EXPECT_EQ(loaded.config.optimizer, "adam");
  EXPECT_EQ(loaded.config.orders, (std::vector<std::string>{"sigma", "none"}));
  // Defaults are checked too, and an override is checked as a file value is.
  EXPECT_EQ(parse_config<Pipeline>("", "p.yaml", {}, pipeline_names()).config.optimizer, "sgd");
  EXPECT_EQ(config_error([] {
              parse_config<Pipeline>("", "p.yaml", {"optimizer=adamw"}, pipeline_names());
            }),
            "command line override 'optimizer=adamw': key 'optimizer': expected one of: sgd, "
            "adam, got 'adamw' (did you mean 'adam'?)");
}

TEST(ConfigLoader, AnUnregisteredListElementIsNamedByItsIndexAndPosition) {
  EXPECT_EQ(config_error([] {
              parse_config<Pipeline>("orders: [random, sigmaa]\n", "p.yaml", {}, pipeline_names());
            }),
            "p.yaml:1:18: key 'orders[1]': expected one of: none, random, sigma, got 'sigmaa' "
            "(did you mean 'sigma'?)");
}

TEST(ConfigLoader, AStructWithRegistryFieldsNeedsTheNames) {
  try {
    parse_config<Pipeline>("optimizer: sgd\n", "p.yaml");
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    FAIL() << "a missing name list is the program's error, not the file's: " << e.what();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no registered optimizer names"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace fct::config
