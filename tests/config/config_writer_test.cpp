// The resolved-config writer: every key in visit order, and write -> read -> equal struct.
#include "framework/config/config_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "framework/config/config_loader.h"
#include "framework/config/config_schema.h"
#include "framework/config/experiment_loader.h"
#include "tests/config/test_configs.h"
#include "tests/study_names.h"

namespace fct::config {
namespace {

using testing::AllTypes;
using testing::Point;

TEST(WriterTest, WritesEveryKeyInVisitOrder) {
  EXPECT_EQ(to_yaml(AllTypes{}),
            "flag: false\n"
            "count: 3\n"
            "big: 1\n"
            "ratio: 0.5\n"
            "label: default\n"
            "tags: []\n"
            "ratios: [0.5]\n"
            "switches: []\n"
            "sizes: [1, 2]\n"
            "origin:\n"
            "  x: 0\n"
            "  weight: 1.0\n"
            "points: []\n");
}

// Keys of `node` are exactly the schema's, in the same order, at every level.
void expect_schema_order(const YAML::Node& node, const SchemaNode& schema,
                         const std::string& path) {
  ASSERT_TRUE(node.IsMap()) << path;
  std::vector<std::string> keys;
  for (auto it = node.begin(); it != node.end(); ++it) keys.push_back(it->first.Scalar());
  EXPECT_EQ(keys, schema.child_keys()) << path;
  for (const auto& child : schema.children)
    if (child.kind == SchemaNode::Kind::kStruct)
      expect_schema_order(node[child.key], child, join_key(path, child.key));
}

TEST(WriterTest, ExperimentDefaultsHaveEveryKeyInVisitOrder) {
  const std::string yaml = to_yaml(ExperimentConfig{});
  expect_schema_order(YAML::Load(yaml), schema_of<ExperimentConfig>(), "");
  EXPECT_EQ(yaml.rfind("name: experiment\nseed: 0\noutput_dir: \"\"\nlog_every: 20\ndata:\n", 0),
            0u)
      << yaml;
  EXPECT_NE(yaml.find("\n  classes: []\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("\n  weight_decay: 5e-04\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("\n  warmup_epochs: 1.0\n"), std::string::npos) << yaml;
}

TEST(WriterTest, ExperimentRoundTripIsExact) {
  ExperimentConfig config;
  config.name = "true";  // strings that look like other YAML types stay strings
  config.output_dir = "runs/a: b #1";
  config.data.root = " leading space";
  config.data.classes = {3, 1, 4};
  config.data.train_split = "123";
  config.data.val_split = "null";
  config.data.cache_dir = "~";
  config.model.head = EmbeddingHead::kLinear;  // an enum, by name
  config.seed = 9007199254740993;              // not representable as a double
  config.optimizer.lr = 1.0 / 3.0;
  config.optimizer.eps = 1e-300;
  config.optimizer.nesterov = true;
  config.schedule.warmup_epochs = 0.1 + 0.2;
  config.dist.timeout_s = std::numeric_limits<double>::infinity();
  const std::string yaml = to_yaml(config);
  const ExperimentConfig back =
      parse_config<ExperimentConfig>(yaml, "resolved.yaml", {}, fct::testing::study_names()).config;
  EXPECT_EQ(to_yaml(back), yaml);
  EXPECT_EQ(back.name, "true");
  EXPECT_EQ(back.output_dir, "runs/a: b #1");
  EXPECT_EQ(back.data.root, " leading space");
  EXPECT_EQ(back.data.classes, config.data.classes);
  EXPECT_EQ(back.data.train_split, "123");
  EXPECT_EQ(back.data.val_split, "null");
  EXPECT_EQ(back.data.cache_dir, "~");
  EXPECT_EQ(back.model.head, EmbeddingHead::kLinear);
  EXPECT_EQ(back.seed, config.seed);
  EXPECT_EQ(back.optimizer.lr, config.optimizer.lr);  // bit-exact
  EXPECT_EQ(back.optimizer.eps, config.optimizer.eps);
  EXPECT_TRUE(back.optimizer.nesterov);
  EXPECT_EQ(back.schedule.warmup_epochs, config.schedule.warmup_epochs);
  EXPECT_TRUE(std::isinf(back.dist.timeout_s));
  // Quoted where YAML would otherwise read another type.
  EXPECT_NE(yaml.find("name: \"true\"\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("train_split: \"123\"\n"), std::string::npos) << yaml;
}

TEST(WriterTest, GenericRoundTripCoversEveryFieldType) {
  AllTypes config;
  config.flag = true;
  config.count = -0;
  config.big = std::numeric_limits<int64_t>::min();
  config.ratio = 0.75;
  config.label = "";
  config.tags = {"a", "b c", "", "false"};
  config.ratios = {};
  config.switches = {true, false, true};
  config.sizes = {-1, 7};
  config.origin = Point{2, 0.5};
  config.points = {Point{1, 1.0}, Point{-3, 2.25}};
  const std::string yaml = to_yaml(config);
  const AllTypes back = parse_config<AllTypes>(yaml, "t.yaml").config;
  EXPECT_EQ(to_yaml(back), yaml);
  EXPECT_TRUE(back.flag);
  EXPECT_EQ(back.big, config.big);
  EXPECT_EQ(back.label, "");
  EXPECT_EQ(back.tags, config.tags);
  EXPECT_TRUE(back.ratios.empty());
  EXPECT_EQ(back.switches, config.switches);
  EXPECT_EQ(back.sizes, config.sizes);
  EXPECT_EQ(back.origin.x, 2);
  ASSERT_EQ(back.points.size(), 2u);
  EXPECT_EQ(back.points[1].x, -3);
  EXPECT_DOUBLE_EQ(back.points[1].weight, 2.25);
  EXPECT_NE(yaml.find("points:\n  - x: 1\n    weight: 1.0\n  - x: -3\n"), std::string::npos)
      << yaml;
  EXPECT_NE(yaml.find("ratios: []\n"), std::string::npos) << yaml;
}

TEST(WriterTest, LoadedResolvedYamlReloadsToTheSameHash) {
  const auto first = parse_config<ExperimentConfig>("seed: 4\n", "a.yaml", {"optimizer.lr=0.05"},
                                                    fct::testing::study_names());
  const auto again = parse_config<ExperimentConfig>(first.resolved_yaml, "resolved.yaml", {},
                                                    fct::testing::study_names());
  EXPECT_EQ(again.resolved_yaml, first.resolved_yaml);
  EXPECT_EQ(again.hash, first.hash);
}

}  // namespace
}  // namespace fct::config
