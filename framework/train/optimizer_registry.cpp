#include "framework/train/optimizer_registry.h"

namespace fct::train {

const Registry<OptimizerFactory>& optimizer_registry() {
  static const Registry<OptimizerFactory> registry(
      "optimizer",
      {
          {"sgd",
           [](std::vector<torch::Tensor> parameters,
              const config::OptimizerConfig& config) -> std::unique_ptr<torch::optim::Optimizer> {
             return std::make_unique<torch::optim::SGD>(std::move(parameters),
                                                        torch::optim::SGDOptions(config.lr)
                                                            .momentum(config.momentum)
                                                            .nesterov(config.nesterov)
                                                            .weight_decay(config.weight_decay));
           }},
          {"adam",
           [](std::vector<torch::Tensor> parameters,
              const config::OptimizerConfig& config) -> std::unique_ptr<torch::optim::Optimizer> {
             return std::make_unique<torch::optim::Adam>(std::move(parameters),
                                                         torch::optim::AdamOptions(config.lr)
                                                             .betas({config.beta1, config.beta2})
                                                             .eps(config.eps)
                                                             .weight_decay(config.weight_decay));
           }},
      });
  return registry;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(std::vector<torch::Tensor> parameters,
                                                        const config::OptimizerConfig& config) {
  return optimizer_registry().get(config.name)(std::move(parameters), config);
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  // Every LibTorch optimiser's options implement set_lr (the base class's throws).
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

}  // namespace fct::train
