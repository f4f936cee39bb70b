// The YAML reader: values, defaults, and the exact file:line:column messages of every error kind.
#include "framework/config/config_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "framework/config/config_loader.h"
#include "framework/config/experiment_loader.h"
#include "tests/config/test_configs.h"
#include "tests/study_names.h"
#include "tests/test_support.h"

namespace fct::config {
namespace {

using testing::AllTypes;
using testing::config_error;
using testing::Required;

// Writes `text` to exp.yaml in a scratch directory and loads it as an experiment.
class ReaderTest : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    const std::string path = dir_.file("exp.yaml");
    fct::testing::write_text_file(path, text);
    return path;
  }
  std::string load_error(const std::string& text) {
    const std::string path = write(text);
    const std::string message =
        config_error([&] { load_experiment(path, {}, fct::testing::study_names()); });
    // Positions are checked relative to the file name.
    return message.rfind(path, 0) == 0 ? "exp.yaml" + message.substr(path.size()) : message;
  }
  fct::testing::ScratchDir dir_{"fct-config-test"};
};

TEST_F(ReaderTest, ReadsValuesAndKeepsDefaultsForMissingKeys) {
  const auto loaded = load_experiment(write("name: demo\n"
                                            "seed: 3\n"
                                            "data:\n"
                                            "  classes: [0, 1, 2]\n"
                                            "  augment: false\n"
                                            "optimizer:\n"
                                            "  name: adam\n"
                                            "  lr: 1e-3\n"
                                            "schedule:\n"
                                            "  epochs: 5\n"
                                            "  warmup_epochs: 2\n"),
                                      {}, fct::testing::study_names());
  const ExperimentConfig& c = loaded.config;
  EXPECT_EQ(c.name, "demo");
  EXPECT_EQ(c.seed, 3);
  EXPECT_EQ(c.data.classes, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_FALSE(c.data.augment);
  EXPECT_EQ(c.optimizer.name, "adam");
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 1e-3);
  EXPECT_EQ(c.schedule.epochs, 5);
  EXPECT_DOUBLE_EQ(c.schedule.warmup_epochs, 2.0);  // an integer is a valid number
  // Defaults.
  EXPECT_EQ(c.data.name, "fashion_mnist");
  EXPECT_EQ(c.data.root, "");
  EXPECT_DOUBLE_EQ(c.optimizer.momentum, 0.9);
  EXPECT_EQ(c.schedule.batch_size, 256);
  EXPECT_EQ(c.model.arch, "resnet18_small");
  EXPECT_EQ(c.dist.backend, "auto");
  EXPECT_EQ(c.debug.fail_rank, -1);
  EXPECT_EQ(c.output_dir, "");
}

TEST_F(ReaderTest, EmptyFileAndEmptySectionsGiveDefaults) {
  const ExperimentConfig defaults;
  const auto empty = load_experiment(write(""), {}, fct::testing::study_names());
  EXPECT_EQ(empty.config.name, defaults.name);
  EXPECT_EQ(empty.resolved_yaml, to_yaml(defaults));
  const auto sections =
      load_experiment(write("data:\nmodel: {}\n"), {}, fct::testing::study_names());
  EXPECT_EQ(sections.resolved_yaml, to_yaml(defaults));
}

TEST_F(ReaderTest, UnknownKeySuggestsClosestKeyWithPosition) {
  EXPECT_EQ(load_error("name: demo\noptimizer:\n  name: sgd\n  lrr: 0.1\n"),
            "exp.yaml:4:3: unknown key 'optimizer.lrr' (did you mean 'lr'?)");
  EXPECT_EQ(load_error("sead: 1\n"), "exp.yaml:1:1: unknown key 'sead' (did you mean 'seed'?)");
}

TEST_F(ReaderTest, UnknownKeyWithoutCloseMatchHasNoSuggestion) {
  EXPECT_EQ(load_error("colour: red\n"), "exp.yaml:1:1: unknown key 'colour'");
}

TEST_F(ReaderTest, WrongTypesNameKeyPathAndValue) {
  EXPECT_EQ(load_error("schedule:\n  epochs: ten\n"),
            "exp.yaml:2:11: key 'schedule.epochs': expected an integer, got 'ten'");
  EXPECT_EQ(load_error("seed: 1.5\n"), "exp.yaml:1:7: key 'seed': expected an integer, got '1.5'");
  EXPECT_EQ(load_error("seed: \"3\"\n"),
            "exp.yaml:1:7: key 'seed': expected an integer, got the string '3'");
  EXPECT_EQ(load_error("data:\n  augment: maybe\n"),
            "exp.yaml:2:12: key 'data.augment': expected true or false, got 'maybe'");
  EXPECT_EQ(load_error("optimizer:\n  lr: fast\n"),
            "exp.yaml:2:7: key 'optimizer.lr': expected a number, got 'fast'");
  EXPECT_EQ(load_error("name:\n  first: a\n"),
            "exp.yaml:2:3: key 'name': expected a string, got a map");
  EXPECT_EQ(load_error("name: [a, b]\n"),
            "exp.yaml:1:7: key 'name': expected a string, got a list");
  EXPECT_EQ(load_error("data: fashion_mnist\n"),
            "exp.yaml:1:7: key 'data': expected a map of keys, got 'fashion_mnist'");
  EXPECT_EQ(load_error("data:\n  classes: 3\n"),
            "exp.yaml:2:12: key 'data.classes': expected a list, got '3'");
  EXPECT_EQ(load_error("data:\n  classes: [0, one]\n"),
            "exp.yaml:2:16: key 'data.classes[1]': expected an integer, got 'one'");
}

TEST_F(ReaderTest, EmptyValueIsReportedAtItsKey) {
  EXPECT_EQ(load_error("schedule:\n  epochs:\n  batch_size: 4\n"),
            "exp.yaml:2:3: key 'schedule.epochs': expected an integer, got null");
}

TEST_F(ReaderTest, FailedChecksShowExpectationAndValue) {
  EXPECT_EQ(load_error("optimizer:\n  lr: -1\n"),
            "exp.yaml:2:7: key 'optimizer.lr': expected a value > 0, got -1");
  EXPECT_EQ(load_error("optimizer:\n  name: sgdd\n"),
            "exp.yaml:2:9: key 'optimizer.name': expected one of: " +
                fct::testing::listed_names("optimizer") + ", got 'sgdd' (did you mean 'sgd'?)");
  EXPECT_EQ(load_error("loss:\n  label_smoothing: 1.5\n"),
            "exp.yaml:2:20: key 'loss.label_smoothing': expected a value in [0, 1], got 1.5");
  EXPECT_EQ(load_error("schedule:\n  epochs: 0\n"),
            "exp.yaml:2:11: key 'schedule.epochs': expected a value in [1, 100000], got 0");
  EXPECT_EQ(load_error("data:\n  classes: [0, -1]\n"),
            "exp.yaml:2:12: key 'data.classes': expected a value >= 0 for element 1, got [0, -1]");
  EXPECT_EQ(load_error("name: ''\n"),
            "exp.yaml:1:7: key 'name': expected a non-empty string, got ''");
}

TEST_F(ReaderTest, ClosedSetsAreReadByNameWithSuggestions) {
  const auto loaded = load_experiment(
      write("model: {head: linear}\ndist: {device: cpu}\ndebug: {fail_mode: preempt}\n"
            "data: {bad_files: fail}\n"),
      {}, fct::testing::study_names());
  EXPECT_EQ(loaded.config.model.head, EmbeddingHead::kLinear);
  EXPECT_EQ(loaded.config.dist.device, DeviceChoice::kCpu);
  EXPECT_EQ(loaded.config.debug.fail_mode, FailMode::kPreempt);
  EXPECT_EQ(loaded.config.data.bad_files, BadFilePolicy::kFail);
  // Written back by name.
  EXPECT_NE(loaded.resolved_yaml.find("head: linear"), std::string::npos) << loaded.resolved_yaml;
  EXPECT_NE(loaded.resolved_yaml.find("fail_mode: preempt"), std::string::npos);
  EXPECT_EQ(load_error("model:\n  head: lineer\n"),
            "exp.yaml:2:9: key 'model.head': expected one of: conv, linear, got 'lineer' (did you "
            "mean 'linear'?)");
  EXPECT_EQ(load_error("dist:\n  device: [cpu]\n"),
            "exp.yaml:2:11: key 'dist.device': expected a string, got a list");
}

TEST_F(ReaderTest, RegistryNamesAreCheckedAgainstTheRegistries) {
  EXPECT_EQ(load_error("loss:\n  name: cosfase\n"),
            "exp.yaml:2:9: key 'loss.name': expected one of: " +
                fct::testing::listed_names("loss") + ", got 'cosfase' (did you mean 'cosface'?)");
  // A sentinel beside the registered names.
  const auto automatic =
      load_experiment(write("dist: {backend: auto}\n"), {}, fct::testing::study_names());
  EXPECT_EQ(automatic.config.dist.backend, "auto");
  EXPECT_EQ(load_error("dist:\n  backend: ncl\n"),
            "exp.yaml:2:12: key 'dist.backend': expected one of: " +
                fct::testing::listed_names("communicator", {"auto"}) +
                ", got 'ncl' (did you mean 'nccl'?)");
}

TEST_F(ReaderTest, RegisteredNamesAreWhatTheCallerHandsIn) {
  // The reader knows no names of its own: a name registered by the caller is accepted...
  RegisteredNames names = fct::testing::study_names();
  names.add("optimizer", {"sgd", "adam", "lamb"});
  const std::string path = write("optimizer: {name: lamb}\n");
  EXPECT_EQ(load_experiment(path, {}, names).config.optimizer.name, "lamb");
  // ... and a config with registry fields read without names is a program error, not a pass.
  try {
    load_config<ExperimentConfig>(path);
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    FAIL() << "a missing name list must not read as a config error: " << e.what();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no registered"), std::string::npos) << e.what();
  }
}

TEST_F(ReaderTest, DuplicateKeyIsAnError) {
  EXPECT_EQ(load_error("seed: 1\nseed: 2\n"),
            "exp.yaml:2:1: duplicate key 'seed' (first written at line 1)");
}

TEST_F(ReaderTest, TopLevelMustBeAMap) {
  EXPECT_EQ(load_error("- a\n- b\n"), "exp.yaml:1:1: expected a map of keys, got a list");
}

TEST_F(ReaderTest, SyntaxErrorHasPosition) {
  EXPECT_EQ(load_error("name: demo\n  seed: 1\n"),
            "exp.yaml:2:7: YAML syntax error: illegal map value");
  EXPECT_EQ(load_error("name: demo\ndata:\n  classes: [0, 1\nmodel:\n  arch: x\n"),
            "exp.yaml:4:6: YAML syntax error: end of sequence flow not found");
}

TEST_F(ReaderTest, MissingFileHasPosition) {
  const std::string path = dir_.file("absent.yaml");
  EXPECT_EQ(config_error([&] { load_experiment(path, {}, fct::testing::study_names()); }),
            path + ":1:1: cannot read the config file: No such file or directory");
  EXPECT_EQ(config_error([&] { load_experiment(dir_.path(), {}, fct::testing::study_names()); }),
            dir_.path() + ":1:1: cannot read the config file: it is a directory");
}

// The generic reader on every supported field type.
TEST(GenericReaderTest, ReadsEveryFieldType) {
  const auto loaded = parse_config<AllTypes>(
      "flag: true\n"
      "count: -0\n"
      "big: 9000000000\n"
      "ratio: .25\n"
      "label: 123\n"
      "tags: [a, 'b c', \"true\"]\n"
      "ratios: [1, 2.5, -.inf]\n"
      "switches: [true, False]\n"
      "sizes: []\n"
      "origin: {x: 4}\n"
      "points:\n"
      "  - x: 1\n"
      "  - x: 2\n"
      "    weight: 3.5\n",
      "t.yaml");
  const AllTypes& c = loaded.config;
  EXPECT_TRUE(c.flag);
  EXPECT_EQ(c.count, 0);
  EXPECT_EQ(c.big, 9000000000);
  EXPECT_DOUBLE_EQ(c.ratio, 0.25);
  EXPECT_EQ(c.label, "123");  // any scalar is a string
  EXPECT_EQ(c.tags, (std::vector<std::string>{"a", "b c", "true"}));
  ASSERT_EQ(c.ratios.size(), 3u);
  EXPECT_DOUBLE_EQ(c.ratios[1], 2.5);
  EXPECT_TRUE(std::isinf(c.ratios[2]) && c.ratios[2] < 0);
  EXPECT_EQ(c.switches, (std::vector<bool>{true, false}));
  EXPECT_TRUE(c.sizes.empty());
  EXPECT_EQ(c.origin.x, 4);
  EXPECT_DOUBLE_EQ(c.origin.weight, 1.0);
  ASSERT_EQ(c.points.size(), 2u);
  EXPECT_EQ(c.points[0].x, 1);
  EXPECT_DOUBLE_EQ(c.points[0].weight, 1.0);
  EXPECT_EQ(c.points[1].x, 2);
  EXPECT_DOUBLE_EQ(c.points[1].weight, 3.5);
}

TEST(GenericReaderTest, ErrorsInsideListsNameTheElement) {
  auto error = [](const std::string& text) {
    return config_error([&] { parse_config<AllTypes>(text, "t.yaml"); });
  };
  EXPECT_EQ(error("points:\n  - x: 1\n  - x: 2\n    weight: 0\n"),
            "t.yaml:4:13: key 'points[1].weight': expected a value > 0, got 0");
  EXPECT_EQ(error("points:\n  - x: 1\n    y: 2\n"),
            "t.yaml:3:5: unknown key 'points[0].y' (did you mean 'x'?)");
  EXPECT_EQ(error("points: [3]\n"),
            "t.yaml:1:10: key 'points[0]': expected a map of keys, got '3'");
  EXPECT_EQ(error("tags: [a, [b]]\n"), "t.yaml:1:11: key 'tags[1]': expected a string, got a list");
  EXPECT_EQ(error("switches: [yes]\n"),
            "t.yaml:1:12: key 'switches[0]': expected true or false, got 'yes'");
  EXPECT_EQ(error("origin:\n  x: 1.0\n"),
            "t.yaml:2:6: key 'origin.x': expected an integer, got '1.0'");
  EXPECT_EQ(error("count: 3000000000\n"),
            "t.yaml:1:8: key 'count': expected an integer in [-2147483648, 2147483647], got "
            "'3000000000'");
  EXPECT_EQ(error("count: -1\n"), "t.yaml:1:8: key 'count': expected a value >= 0, got -1");
  EXPECT_EQ(error("big: 99999999999999999999\n"),
            "t.yaml:1:6: key 'big': expected an integer, got '99999999999999999999'");
}

TEST(GenericReaderTest, DefaultThatFailsItsCheckMakesTheKeyRequired) {
  EXPECT_EQ(config_error([] { parse_config<Required>("", "r.yaml"); }),
            "r.yaml:1:1: missing key 'token': expected a non-empty string");
  EXPECT_EQ(parse_config<Required>("token: abc\n", "r.yaml").config.token, "abc");
}

TEST(ScalarParsingTest, IsStrict) {
  EXPECT_EQ(parse_integer("+7").value_or(0), 7);
  EXPECT_EQ(parse_integer("-7").value_or(0), -7);
  EXPECT_FALSE(parse_integer("+-7"));
  EXPECT_FALSE(parse_integer("7 "));
  EXPECT_FALSE(parse_integer("0x10"));
  EXPECT_FALSE(parse_integer(""));
  EXPECT_EQ(parse_number("1e-3").value_or(0), 1e-3);
  EXPECT_EQ(parse_number("+.5").value_or(0), 0.5);
  EXPECT_FALSE(parse_number("1.0.0"));
  EXPECT_FALSE(parse_number("abc"));
  EXPECT_TRUE(parse_bool("True").value_or(false));
  EXPECT_FALSE(parse_bool("yes"));
  EXPECT_EQ(format_number(0.1), "0.1");
  EXPECT_EQ(format_number(2.0), "2.0");
  EXPECT_EQ(format_number(-3.0), "-3.0");
  EXPECT_EQ(format_number(1e-8), "1e-08");
  EXPECT_EQ(format_number(-std::numeric_limits<double>::infinity()), "-.inf");
}

}  // namespace
}  // namespace fct::config
