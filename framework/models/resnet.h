// ResNet-18/34/50 backbones with torchvision's parameter and buffer names (conv1, bn1,
// layer1.0.conv1, ..., layer4.1.downsample.0), so weights map one-to-one onto torchvision's, plus
// the two embedding heads of the FCT protocol (../shared/fct-protocol.md §2): "conv" (the last
// block of layer4 outputs d channels, then ReLU and global average pooling) and "linear" (global
// average pooling, then Linear(features, d), registered as "projection").
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "framework/config/choices.h"

namespace fct::models {

struct ResNetOptions {
  int64_t depth = 18;        // 18, 34 or 50
  int64_t width = 64;        // channels of the first stage (64 = torchvision)
  bool small_input = false;  // 3x3 stride-1 conv1 and no max-pool, for 28x28 / 32x32 images
  int64_t in_channels = 3;
  int64_t embedding_dim = 128;
  config::EmbeddingHead head = config::EmbeddingHead::kConv;
};

// conv3x3 -> BN -> ReLU -> conv3x3 -> BN, plus the shortcut, then ReLU.
class BasicBlockImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 1;
  // `out_channels` is planes * kExpansion for a standard block; the conv head's last block
  // passes the embedding dimension instead.
  BasicBlockImpl(int64_t in_channels, int64_t planes, int64_t out_channels, int64_t stride);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  torch::nn::Sequential downsample_{nullptr};
};
TORCH_MODULE(BasicBlock);

// conv1x1 -> BN -> ReLU -> conv3x3 (stride, as torchvision v1.5) -> BN -> ReLU -> conv1x1 -> BN,
// plus the shortcut, then ReLU.
class BottleneckImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 4;
  BottleneckImpl(int64_t in_channels, int64_t planes, int64_t out_channels, int64_t stride);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr}, bn3_{nullptr};
  torch::nn::Sequential downsample_{nullptr};
};
TORCH_MODULE(Bottleneck);

// Images [B, in_channels, H, W] -> embeddings [B, embedding_dim].
class ResNetImpl : public torch::nn::Module {
 public:
  explicit ResNetImpl(ResNetOptions options);
  torch::Tensor forward(torch::Tensor images);

  const ResNetOptions& options() const { return options_; }
  // Channels of layer4's output before the head (8 * width * expansion; d for the conv head).
  int64_t feature_channels() const { return feature_channels_; }

 private:
  ResNetOptions options_;
  int64_t feature_channels_ = 0;
  torch::nn::Conv2d conv1_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr};
  torch::nn::Sequential layer1_{nullptr}, layer2_{nullptr}, layer3_{nullptr}, layer4_{nullptr};
  torch::nn::Linear projection_{nullptr};  // linear head only
};
TORCH_MODULE(ResNet);

}  // namespace fct::models
