// The backbones fct can train, by the name YAML uses (model.arch). A factory builds the backbone
// (images -> [B, d] embeddings, head included); make_embedding_model adds the classifier.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>

#include "framework/config/experiment_config.h"
#include "framework/core/registry.h"

namespace fct::models {

using BackboneFactory =
    std::function<torch::nn::AnyModule(const config::ModelConfig& config, int64_t in_channels)>;

const Registry<BackboneFactory>& model_registry();

}  // namespace fct::models
