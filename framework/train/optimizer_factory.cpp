#include "framework/train/optimizer_factory.h"

#include "framework/core/error.h"

namespace fct::train {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(std::vector<torch::Tensor> parameters,
                                                        const config::OptimizerConfig& config) {
  if (config.name == "sgd") {
    return std::make_unique<torch::optim::SGD>(std::move(parameters),
                                               torch::optim::SGDOptions(config.lr)
                                                   .momentum(config.momentum)
                                                   .nesterov(config.nesterov)
                                                   .weight_decay(config.weight_decay));
  }
  if (config.name == "adam") {
    return std::make_unique<torch::optim::Adam>(std::move(parameters),
                                                torch::optim::AdamOptions(config.lr)
                                                    .betas({config.beta1, config.beta2})
                                                    .eps(config.eps)
                                                    .weight_decay(config.weight_decay));
  }
  throw ConfigError("optimizer.name: unknown optimiser '" + config.name + "' (known: sgd, adam)");
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) {
    auto& options = group.options();
    if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(&options)) {
      sgd->lr(lr);
    } else if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(&options)) {
      adam->lr(lr);
    } else {
      throw Error("set_learning_rate: unsupported optimiser options type");
    }
  }
}

}  // namespace fct::train
