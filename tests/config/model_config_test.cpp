// The model section's keys for models from PyTorch: what each key says alone is checked by its
// own check; what keys say together (model.cross_check) is a ConfigError at the section's place,
// naming the keys, before any work starts.
#include <gtest/gtest.h>

#include <string>

#include "framework/config/config_loader.h"
#include "framework/config/study_config.h"
#include "framework/study/registered_names.h"
#include "tests/config/test_configs.h"

namespace fct::config {
namespace {

using testing::config_error;

ModelConfig parse(const std::string& text) {
  return parse_config<ModelConfig>(text, "m.yaml", {}, study::registered_names()).config;
}

std::string error_of(const std::string& text) {
  return config_error([&] { parse(text); });
}

TEST(ModelConfig, TorchScriptKeysAreReadAndWrittenBack) {
  const auto model = parse(
      "arch: torchscript\npath: old.ts\nembedding_dim: 64\ninput_size: 32\n"
      "input_mean: [0.5, 0.4, 0.3]\ninput_std: [0.2, 0.2, 0.2]\n");
  EXPECT_EQ(model.path, "old.ts");
  EXPECT_EQ(model.input_size, 32);
  EXPECT_EQ(model.input_mean, (std::vector<double>{0.5, 0.4, 0.3}));
  EXPECT_TRUE(model.imported());
  const auto again = parse(to_yaml(model));
  EXPECT_EQ(again.input_std, model.input_std);
  EXPECT_EQ(again.path, model.path);
}

TEST(ModelConfig, AStateDictStartsATrainingOrWithFrozenIsUsedAsItIs) {
  EXPECT_FALSE(parse("arch: resnet18_small\nweights: m.pth\n").imported());
  EXPECT_TRUE(parse("arch: resnet18_small\nweights: m.pth\nfrozen: true\n").imported());
}

TEST(ModelConfig, KeysThatContradictEachOtherAreRefusedNamingThem) {
  EXPECT_NE(error_of("arch: torchscript\n").find("m.yaml:1:1: arch torchscript needs 'path'"),
            std::string::npos)
      << error_of("arch: torchscript\n");
  EXPECT_NE(error_of("arch: torchscript\npath: a.ts\nweights: b.pth\n")
                .find("'weights' loads a state dict into fct's own backbones"),
            std::string::npos);
  EXPECT_NE(error_of("arch: resnet18_small\npath: a.ts\n").find("set arch: torchscript"),
            std::string::npos);
  EXPECT_NE(error_of("arch: resnet18_small\ninput_size: 32\n")
                .find("describe a TorchScript module's input"),
            std::string::npos);
  EXPECT_NE(error_of("frozen: true\n").find("frozen without 'weights'"), std::string::npos);
  EXPECT_NE(error_of("arch: torchscript\npath: a.ts\ninput_mean: [0.5]\ninput_std: [0.2, 0.2]\n")
                .find("one value per channel each (1 and 2 given)"),
            std::string::npos);
  EXPECT_NE(error_of("arch: torchscript\npath: a.ts\ninput_mean: [0.5]\ninput_std: [0]\n")
                .find("'input_std': expected a value > 0 for element 0"),
            std::string::npos);
}

TEST(ModelConfig, InAStudyTheErrorNamesTheSection) {
  const std::string message = config_error([] {
    parse_config<StudyConfig>("name: s\nold:\n  model: {arch: torchscript}\n", "s.yaml", {},
                              study::registered_names());
  });
  EXPECT_NE(message.find("s.yaml:3:"), std::string::npos) << message;
  EXPECT_NE(message.find("'old.model': arch torchscript needs 'path'"), std::string::npos)
      << message;
}

}  // namespace
}  // namespace fct::config
