// The optimisers fct trains with, by the name YAML uses (optimizer.name): each entry builds one
// from the model's parameters and the optimiser section of the config. Adding an optimiser is one
// entry in optimizer_registry.cpp; the config reader learns its name from here.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <vector>

#include "framework/config/experiment_config.h"
#include "framework/core/registry.h"

namespace fct::train {

using OptimizerFactory = std::function<std::unique_ptr<torch::optim::Optimizer>(
    std::vector<torch::Tensor> parameters, const config::OptimizerConfig& config)>;

const Registry<OptimizerFactory>& optimizer_registry();

// The optimiser config.name names (an Error naming the known ones otherwise).
std::unique_ptr<torch::optim::Optimizer> make_optimizer(std::vector<torch::Tensor> parameters,
                                                        const config::OptimizerConfig& config);

// Sets the learning rate of every parameter group (the schedule calls it each step).
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace fct::train
