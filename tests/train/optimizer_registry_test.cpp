// The optimiser registry: the names the config reader accepts, what each entry builds from the
// config, and the learning rate the schedule sets on every parameter group.
#include "framework/train/optimizer_registry.h"

#include <gtest/gtest.h>

#include "framework/core/error.h"

namespace fct::train {
namespace {

TEST(OptimizerRegistry, NamesAreSgdAndAdam) {
  EXPECT_EQ(optimizer_registry().names(), (std::vector<std::string>{"sgd", "adam"}));
}

TEST(OptimizerRegistry, SgdTakesMomentumNesterovAndWeightDecayFromTheConfig) {
  config::OptimizerConfig config;
  config.name = "sgd";
  config.lr = 0.25;
  config.momentum = 0.5;
  config.nesterov = true;
  config.weight_decay = 1e-3;
  auto optimizer = make_optimizer({torch::zeros({3}, torch::requires_grad())}, config);
  auto* sgd = dynamic_cast<torch::optim::SGD*>(optimizer.get());
  ASSERT_NE(sgd, nullptr);
  const auto& options = static_cast<const torch::optim::SGDOptions&>(sgd->defaults());
  EXPECT_DOUBLE_EQ(options.lr(), 0.25);
  EXPECT_DOUBLE_EQ(options.momentum(), 0.5);
  EXPECT_TRUE(options.nesterov());
  EXPECT_DOUBLE_EQ(options.weight_decay(), 1e-3);
}

TEST(OptimizerRegistry, AdamTakesBetasAndEpsilonFromTheConfig) {
  config::OptimizerConfig config;
  config.name = "adam";
  config.lr = 1e-3;
  config.beta1 = 0.8;
  config.beta2 = 0.99;
  config.eps = 1e-6;
  auto optimizer = make_optimizer({torch::zeros({3}, torch::requires_grad())}, config);
  auto* adam = dynamic_cast<torch::optim::Adam*>(optimizer.get());
  ASSERT_NE(adam, nullptr);
  const auto& options = static_cast<const torch::optim::AdamOptions&>(adam->defaults());
  EXPECT_DOUBLE_EQ(std::get<0>(options.betas()), 0.8);
  EXPECT_DOUBLE_EQ(std::get<1>(options.betas()), 0.99);
  EXPECT_DOUBLE_EQ(options.eps(), 1e-6);
}

TEST(OptimizerRegistry, UnknownNameNamesTheKnownOnes) {
  config::OptimizerConfig config;
  config.name = "adamm";
  try {
    make_optimizer({torch::zeros({1}, torch::requires_grad())}, config);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'adamm'"), std::string::npos) << message;
    EXPECT_NE(message.find("did you mean 'adam'"), std::string::npos) << message;
  }
}

TEST(OptimizerRegistry, LearningRateReachesEveryGroupOfEveryOptimiser) {
  for (const auto& name : optimizer_registry().names()) {
    config::OptimizerConfig config;
    config.name = name;
    auto optimizer = make_optimizer({torch::zeros({2}, torch::requires_grad())}, config);
    optimizer->add_param_group(torch::optim::OptimizerParamGroup(
        {torch::zeros({1}, torch::requires_grad())}, optimizer->defaults().clone()));
    set_learning_rate(*optimizer, 0.0625);
    ASSERT_EQ(optimizer->param_groups().size(), 2u) << name;
    for (auto& group : optimizer->param_groups())
      EXPECT_DOUBLE_EQ(group.options().get_lr(), 0.0625) << name;
  }
}

}  // namespace
}  // namespace fct::train
