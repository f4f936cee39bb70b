#include "framework/models/resnet.h"

#include <vector>

#include "framework/core/error.h"

namespace fct::models {
namespace {

namespace nn = torch::nn;

nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  return nn::Conv2d(
      nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

// conv1x1 + BN when the shortcut changes resolution or channels, else none (identity).
nn::Sequential make_downsample(int64_t in, int64_t out, int64_t stride) {
  if (stride == 1 && in == out) return nn::Sequential(nullptr);
  return nn::Sequential(conv(in, out, 1, stride), nn::BatchNorm2d(out));
}

}  // namespace

BasicBlockImpl::BasicBlockImpl(int64_t in_channels, int64_t planes, int64_t out_channels,
                               int64_t stride) {
  conv1_ = register_module("conv1", conv(in_channels, planes, 3, stride));
  bn1_ = register_module("bn1", nn::BatchNorm2d(planes));
  conv2_ = register_module("conv2", conv(planes, out_channels, 3, 1));
  bn2_ = register_module("bn2", nn::BatchNorm2d(out_channels));
  downsample_ = make_downsample(in_channels, out_channels, stride);
  if (downsample_) register_module("downsample", downsample_);
}

torch::Tensor BasicBlockImpl::forward(torch::Tensor x) {
  torch::Tensor identity = downsample_ ? downsample_->forward(x) : x;
  torch::Tensor out = bn1_->forward(conv1_->forward(x)).relu_();
  out = bn2_->forward(conv2_->forward(out));
  return out.add_(identity).relu_();
}

BottleneckImpl::BottleneckImpl(int64_t in_channels, int64_t planes, int64_t out_channels,
                               int64_t stride) {
  conv1_ = register_module("conv1", conv(in_channels, planes, 1, 1));
  bn1_ = register_module("bn1", nn::BatchNorm2d(planes));
  conv2_ = register_module("conv2", conv(planes, planes, 3, stride));
  bn2_ = register_module("bn2", nn::BatchNorm2d(planes));
  conv3_ = register_module("conv3", conv(planes, out_channels, 1, 1));
  bn3_ = register_module("bn3", nn::BatchNorm2d(out_channels));
  downsample_ = make_downsample(in_channels, out_channels, stride);
  if (downsample_) register_module("downsample", downsample_);
}

torch::Tensor BottleneckImpl::forward(torch::Tensor x) {
  torch::Tensor identity = downsample_ ? downsample_->forward(x) : x;
  torch::Tensor out = bn1_->forward(conv1_->forward(x)).relu_();
  out = bn2_->forward(conv2_->forward(out)).relu_();
  out = bn3_->forward(conv3_->forward(out));
  return out.add_(identity).relu_();
}

ResNetImpl::ResNetImpl(ResNetOptions options) : options_(std::move(options)) {
  const auto& o = options_;
  std::vector<int64_t> blocks;
  bool bottleneck = false;
  if (o.depth == 10) {  // the smallest of the family (e.g. in cross-architecture studies)
    blocks = {1, 1, 1, 1};
  } else if (o.depth == 18) {
    blocks = {2, 2, 2, 2};
  } else if (o.depth == 34) {
    blocks = {3, 4, 6, 3};
  } else if (o.depth == 50) {
    blocks = {3, 4, 6, 3};
    bottleneck = true;
  } else {
    throw Error("resnet: unsupported depth " + std::to_string(o.depth) + "; known: 10, 18, 34, 50");
  }
  if (o.width <= 0 || o.in_channels <= 0 || o.embedding_dim <= 0)
    throw Error("resnet: width, in_channels and embedding_dim must be positive");

  conv1_ = register_module("conv1", o.small_input ? conv(o.in_channels, o.width, 3, 1)
                                                  : conv(o.in_channels, o.width, 7, 2));
  bn1_ = register_module("bn1", nn::BatchNorm2d(o.width));

  const int64_t expansion = bottleneck ? BottleneckImpl::kExpansion : BasicBlockImpl::kExpansion;
  int64_t in = o.width;
  nn::Sequential* layers[4] = {&layer1_, &layer2_, &layer3_, &layer4_};
  for (int stage = 0; stage < 4; ++stage) {
    const int64_t planes = o.width << stage;
    nn::Sequential layer;
    for (int64_t b = 0; b < blocks[stage]; ++b) {
      const int64_t stride = (stage > 0 && b == 0) ? 2 : 1;
      const bool embedding_block =
          o.head == config::EmbeddingHead::kConv && stage == 3 && b == blocks[stage] - 1;
      const int64_t out = embedding_block ? o.embedding_dim : planes * expansion;
      if (bottleneck) {
        layer->push_back(Bottleneck(in, planes, out, stride));
      } else {
        layer->push_back(BasicBlock(in, planes, out, stride));
      }
      in = out;
    }
    *layers[stage] = register_module("layer" + std::to_string(stage + 1), layer);
  }
  feature_channels_ = in;
  if (o.head == config::EmbeddingHead::kLinear)
    projection_ = register_module("projection", nn::Linear(feature_channels_, o.embedding_dim));

  // torchvision's initialisation; Linear keeps LibTorch's default (as torchvision's fc).
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* c = module->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
    } else if (auto* bn = module->as<nn::BatchNorm2d>()) {
      nn::init::ones_(bn->weight);
      nn::init::zeros_(bn->bias);
    }
  }
}

torch::Tensor ResNetImpl::forward(torch::Tensor images) {
  torch::Tensor x = bn1_->forward(conv1_->forward(images)).relu_();
  if (!options_.small_input) x = torch::max_pool2d(x, 3, 2, 1);
  x = layer4_->forward(layer3_->forward(layer2_->forward(layer1_->forward(x))));
  // Global average pooling; with the conv head this is the (non-negative) embedding.
  x = x.mean({2, 3});
  if (projection_) x = projection_->forward(x);
  return x;
}

}  // namespace fct::models
