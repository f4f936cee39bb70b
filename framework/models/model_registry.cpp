#include "framework/models/model_registry.h"

#include "framework/models/resnet.h"
#include "framework/models/torchscript_backbone.h"

namespace fct::models {
namespace {

BackboneFactory resnet(int64_t depth, bool small_input) {
  return [depth, small_input](const config::ModelConfig& config, int64_t in_channels) {
    ResNetOptions options;
    options.depth = depth;
    options.width = config.width;
    options.small_input = small_input;
    options.in_channels = in_channels;
    options.embedding_dim = config.embedding_dim;
    options.head = config.head;
    return torch::nn::AnyModule(ResNet(options));
  };
}

// A module from PyTorch. Without a path, an empty one that a model file's load() fills.
torch::nn::AnyModule torchscript(const config::ModelConfig& config, int64_t /*in_channels*/) {
  if (config.path.empty()) return torch::nn::AnyModule(TorchScriptBackbone());
  return torch::nn::AnyModule(TorchScriptBackbone(
      config.path, TorchScriptInput{config.input_size, config.input_mean, config.input_std}));
}

}  // namespace

const Registry<BackboneFactory>& model_registry() {
  // Every backbone in one list. *_small: 3x3 stride-1 stem, no max-pool (28x28 / 32x32 images).
  static const Registry<BackboneFactory> registry("model", {
                                                               {"resnet10", resnet(10, false)},
                                                               {"resnet18", resnet(18, false)},
                                                               {"resnet34", resnet(34, false)},
                                                               {"resnet50", resnet(50, false)},
                                                               {"resnet10_small", resnet(10, true)},
                                                               {"resnet18_small", resnet(18, true)},
                                                               {"resnet34_small", resnet(34, true)},
                                                               {"resnet50_small", resnet(50, true)},
                                                               {"torchscript", torchscript},
                                                           });
  return registry;
}

}  // namespace fct::models
