// Builds the optimiser named in the config (SGD with momentum/Nesterov/weight decay, or Adam) and
// sets its learning rate step by step for the schedule.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "framework/config/experiment_config.h"

namespace fct::train {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(std::vector<torch::Tensor> parameters,
                                                        const config::OptimizerConfig& config);

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace fct::train
