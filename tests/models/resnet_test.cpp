// ResNet: torchvision parameter names and counts, initialisation, and the two embedding heads.
#include "framework/models/resnet.h"

#include <gtest/gtest.h>

#include "framework/core/error.h"

namespace fct::models {
namespace {

std::vector<std::string> parameter_names(torch::nn::Module& module) {
  std::vector<std::string> names;
  for (const auto& item : module.named_parameters()) names.push_back(item.key());
  return names;
}

int64_t parameter_count(torch::nn::Module& module, const std::string& skip_prefix = "") {
  int64_t count = 0;
  for (const auto& item : module.named_parameters())
    if (skip_prefix.empty() || item.key().rfind(skip_prefix, 0) != 0) count += item.value().numel();
  return count;
}

ResNetOptions options(int64_t depth, const std::string& head, int64_t d = 128) {
  ResNetOptions o;
  o.depth = depth;
  o.head = config::enum_from_name<config::EmbeddingHead>(head).value();
  o.embedding_dim = d;
  return o;
}

// torchvision.models.resnet18().state_dict() parameter keys, without fc.weight / fc.bias.
const std::vector<std::string> kTorchvisionResnet18 = {
    "conv1.weight",
    "bn1.weight",
    "bn1.bias",
    "layer1.0.conv1.weight",
    "layer1.0.bn1.weight",
    "layer1.0.bn1.bias",
    "layer1.0.conv2.weight",
    "layer1.0.bn2.weight",
    "layer1.0.bn2.bias",
    "layer1.1.conv1.weight",
    "layer1.1.bn1.weight",
    "layer1.1.bn1.bias",
    "layer1.1.conv2.weight",
    "layer1.1.bn2.weight",
    "layer1.1.bn2.bias",
    "layer2.0.conv1.weight",
    "layer2.0.bn1.weight",
    "layer2.0.bn1.bias",
    "layer2.0.conv2.weight",
    "layer2.0.bn2.weight",
    "layer2.0.bn2.bias",
    "layer2.0.downsample.0.weight",
    "layer2.0.downsample.1.weight",
    "layer2.0.downsample.1.bias",
    "layer2.1.conv1.weight",
    "layer2.1.bn1.weight",
    "layer2.1.bn1.bias",
    "layer2.1.conv2.weight",
    "layer2.1.bn2.weight",
    "layer2.1.bn2.bias",
    "layer3.0.conv1.weight",
    "layer3.0.bn1.weight",
    "layer3.0.bn1.bias",
    "layer3.0.conv2.weight",
    "layer3.0.bn2.weight",
    "layer3.0.bn2.bias",
    "layer3.0.downsample.0.weight",
    "layer3.0.downsample.1.weight",
    "layer3.0.downsample.1.bias",
    "layer3.1.conv1.weight",
    "layer3.1.bn1.weight",
    "layer3.1.bn1.bias",
    "layer3.1.conv2.weight",
    "layer3.1.bn2.weight",
    "layer3.1.bn2.bias",
    "layer4.0.conv1.weight",
    "layer4.0.bn1.weight",
    "layer4.0.bn1.bias",
    "layer4.0.conv2.weight",
    "layer4.0.bn2.weight",
    "layer4.0.bn2.bias",
    "layer4.0.downsample.0.weight",
    "layer4.0.downsample.1.weight",
    "layer4.0.downsample.1.bias",
    "layer4.1.conv1.weight",
    "layer4.1.bn1.weight",
    "layer4.1.bn1.bias",
    "layer4.1.conv2.weight",
    "layer4.1.bn2.weight",
    "layer4.1.bn2.bias",
};

TEST(ResNet, Resnet18NamesAndCountMatchTorchvision) {
  ResNet net(options(18, "linear"));
  std::vector<std::string> names = parameter_names(*net);
  ASSERT_EQ(names.back(), "projection.bias");
  names.resize(names.size() - 2);  // projection.weight, projection.bias
  EXPECT_EQ(names, kTorchvisionResnet18);
  EXPECT_EQ(parameter_count(*net, "projection."), 11176512);
  EXPECT_EQ(parameter_count(*net), 11176512 + 512 * 128 + 128);

  // Buffers as torchvision: running_mean, running_var, num_batches_tracked of each of 20 BNs.
  std::vector<std::string> buffers;
  for (const auto& item : net->named_buffers()) buffers.push_back(item.key());
  ASSERT_EQ(buffers.size(), 60u);
  EXPECT_EQ(buffers[0], "bn1.running_mean");
  EXPECT_EQ(buffers[2], "bn1.num_batches_tracked");
  EXPECT_EQ(buffers.back(), "layer4.1.bn2.num_batches_tracked");
}

TEST(ResNet, Resnet50NamesAndCountMatchTorchvision) {
  ResNet net(options(50, "linear"));
  const std::vector<std::string> names = parameter_names(*net);
  ASSERT_EQ(names.size(), 159u + 2);  // torchvision: 161 with fc
  const std::vector<std::string> first = {"conv1.weight",
                                          "bn1.weight",
                                          "bn1.bias",
                                          "layer1.0.conv1.weight",
                                          "layer1.0.bn1.weight",
                                          "layer1.0.bn1.bias",
                                          "layer1.0.conv2.weight",
                                          "layer1.0.bn2.weight",
                                          "layer1.0.bn2.bias",
                                          "layer1.0.conv3.weight",
                                          "layer1.0.bn3.weight",
                                          "layer1.0.bn3.bias",
                                          "layer1.0.downsample.0.weight",
                                          "layer1.0.downsample.1.weight",
                                          "layer1.0.downsample.1.bias",
                                          "layer1.1.conv1.weight"};
  EXPECT_EQ(std::vector<std::string>(names.begin(), names.begin() + first.size()), first);
  const std::vector<std::string> last = {"layer4.2.conv3.weight", "layer4.2.bn3.weight",
                                         "layer4.2.bn3.bias", "projection.weight",
                                         "projection.bias"};
  EXPECT_EQ(std::vector<std::string>(names.end() - last.size(), names.end()), last);
  EXPECT_NE(std::find(names.begin(), names.end(), "layer3.5.bn2.bias"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "layer4.0.downsample.1.weight"), names.end());
  EXPECT_EQ(parameter_count(*net, "projection."), 23508032);
  EXPECT_EQ(parameter_count(*net), 23508032 + 2048 * 128 + 128);
}

TEST(ResNet, Resnet34Count) {
  ResNet net(options(34, "linear"));
  EXPECT_EQ(parameter_count(*net, "projection."), 21797672 - 513000);  // torchvision minus fc
}

TEST(ResNet, TorchvisionInitialisation) {
  ResNet net(options(18, "linear"));
  const auto params = net->named_parameters();
  // kaiming_normal_(fan_out, relu): std = sqrt(2 / (64 * 7 * 7)).
  const double std = params["conv1.weight"].std().item<double>();
  EXPECT_NEAR(std, std::sqrt(2.0 / (64 * 49)), 0.05 * std::sqrt(2.0 / (64 * 49)));
  EXPECT_TRUE(torch::equal(params["layer2.0.bn1.weight"], torch::ones({128})));
  EXPECT_TRUE(torch::equal(params["layer2.0.downsample.1.bias"], torch::zeros({128})));
}

TEST(ResNet, ConvHeadProjectsLastBlockToEmbeddingDim) {
  ResNet net(options(18, "conv", 128));
  const auto params = net->named_parameters();
  EXPECT_EQ(params["layer4.1.conv2.weight"].sizes(), (std::vector<int64_t>{128, 512, 3, 3}));
  EXPECT_EQ(params["layer4.1.bn2.weight"].sizes(), (std::vector<int64_t>{128}));
  // The last block has no shortcut in torchvision; here it projects 512 -> 128.
  EXPECT_EQ(params["layer4.1.downsample.0.weight"].sizes(), (std::vector<int64_t>{128, 512, 1, 1}));
  EXPECT_EQ(params.find("projection.weight"), nullptr);
  EXPECT_EQ(net->feature_channels(), 128);

  net->eval();
  const torch::Tensor out = net->forward(torch::randn({2, 3, 64, 64}));
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 128}));
  EXPECT_GE(out.min().item<float>(), 0.0f);  // ReLU then average pooling

  // Bottleneck: conv3/bn3 and the shortcut of layer4.2 output d.
  ResNet net50(options(50, "conv", 64));
  const auto p50 = net50->named_parameters();
  EXPECT_EQ(p50["layer4.2.conv3.weight"].sizes(), (std::vector<int64_t>{64, 512, 1, 1}));
  EXPECT_EQ(p50["layer4.2.downsample.0.weight"].sizes(), (std::vector<int64_t>{64, 2048, 1, 1}));
  net50->eval();
  const torch::Tensor out50 = net50->forward(torch::randn({2, 3, 64, 64}));
  EXPECT_EQ(out50.sizes(), (std::vector<int64_t>{2, 64}));
  EXPECT_GE(out50.min().item<float>(), 0.0f);
}

TEST(ResNet, ConvHeadWithFullWidthIsTorchvisionExactly) {
  // d = 512 = layer4's width: no extra projection, the torchvision resnet18 without fc.
  ResNet net(options(18, "conv", 512));
  EXPECT_EQ(parameter_names(*net), kTorchvisionResnet18);
  EXPECT_EQ(parameter_count(*net), 11176512);
}

TEST(ResNet, SmallInputVariantOnGreyImages) {
  ResNetOptions o = options(18, "conv", 32);
  o.small_input = true;
  o.in_channels = 1;
  o.width = 16;
  ResNet net(o);
  EXPECT_EQ(net->named_parameters()["conv1.weight"].sizes(), (std::vector<int64_t>{16, 1, 3, 3}));
  const torch::Tensor out = net->forward(torch::randn({4, 1, 28, 28}));
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{4, 32}));
  EXPECT_GE(out.min().item<float>(), 0.0f);
  // Gradients reach the stem.
  out.sum().backward();
  EXPECT_TRUE(net->named_parameters()["conv1.weight"].grad().defined());
}

TEST(ResNet, InvalidOptionsAreErrors) {
  // (An unknown head is no longer a value ResNetOptions can hold: config::EmbeddingHead.)
  EXPECT_THROW(ResNet(options(101, "conv")), Error);
}

}  // namespace
}  // namespace fct::models
