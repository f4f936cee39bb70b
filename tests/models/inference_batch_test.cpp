#include "framework/models/inference_batch.h"

#include <gtest/gtest.h>

#include "framework/models/embedding_model.h"
#include "framework/models/model_registry.h"
#include "framework/models/resnet.h"

namespace fct::models {
namespace {

torch::nn::AnyModule resnet(int64_t depth, int64_t width, bool small_input, int64_t channels) {
  ResNetOptions options;
  options.depth = depth;
  options.width = width;
  options.small_input = small_input;
  options.in_channels = channels;
  return torch::nn::AnyModule(ResNet(options));
}

// A backbone that is not one of fct's ResNets.
struct OpaqueImpl : torch::nn::Module {
  torch::Tensor forward(torch::Tensor x) { return x.flatten(1); }
};
TORCH_MODULE(Opaque);

TEST(InferenceBatch, LargestActivationOfTheBuiltInStudysModel) {
  // resnet18_small, width 8, on 1 x 28 x 28: conv1 and layer1 make 8 x 28 x 28 floats.
  EXPECT_EQ(largest_activation_bytes(resnet(18, 8, true, 1), 1, 28, 28), 8 * 28 * 28 * 4);
  // Width 16: twice that. layer2 (16 planes at 14 x 14 after conv1's stride) is smaller.
  EXPECT_EQ(largest_activation_bytes(resnet(18, 16, true, 1), 1, 28, 28), 16 * 28 * 28 * 4);
}

TEST(InferenceBatch, LargestActivationOfFullSizeResNets) {
  // ResNet-18 on 224 x 224: conv1's 64 x 112 x 112 (stride 2) beats layer1's 64 x 56 x 56.
  EXPECT_EQ(largest_activation_bytes(resnet(18, 64, false, 3), 3, 224, 224), 64 * 112 * 112 * 4);
  // ResNet-50: layer1's 256 x 56 x 56 output equals conv1's 64 x 112 x 112; layer2's 1x1
  // convolution makes 128 x 56 x 56 at the input resolution, half of it.
  EXPECT_EQ(largest_activation_bytes(resnet(50, 64, false, 3), 3, 224, 224), 256 * 56 * 56 * 4);
  // A small-input ResNet-50 of width 8 on 32 x 32: layer1's 32 x 32 x 32 output.
  EXPECT_EQ(largest_activation_bytes(resnet(50, 8, true, 3), 3, 32, 32), 32 * 32 * 32 * 4);
}

TEST(InferenceBatch, OtherBackbonesAreAssumedA64ChannelFullResolutionMap) {
  const torch::nn::AnyModule opaque(Opaque{});
  EXPECT_EQ(largest_activation_bytes(opaque, 3, 10, 20), 64 * 10 * 20 * 4);
  EXPECT_EQ(largest_activation_bytes(opaque, 100, 10, 20), 100 * 10 * 20 * 4);
}

TEST(InferenceBatch, SizeIsThePowerOfTwoThatFillsAtMostFourFifthsOfTheCache) {
  const int64_t mib = int64_t{1} << 20;
  // 0.8 MiB / 25 088 B = 33.4 images -> 32; twice the activation -> 16.
  EXPECT_EQ(inference_batch_size(25088, mib, 1024), 32);
  EXPECT_EQ(inference_batch_size(50176, mib, 1024), 16);
  EXPECT_EQ(inference_batch_size(25088, 4 * mib, 1024), 128);
  // Never fewer than 8 images, never more than the batch.
  EXPECT_EQ(inference_batch_size(64 * mib, mib, 1024), 8);
  EXPECT_EQ(inference_batch_size(25088, mib, 20), 20);
  EXPECT_EQ(inference_batch_size(64 * mib, mib, 5), 5);
  EXPECT_EQ(inference_batch_size(25088, mib, 0), 1);
}

TEST(InferenceBatch, ForBatchesOnTheCpuItIsBoundedByTheBatch) {
  const auto backbone = resnet(18, 8, true, 1);
  const auto images = torch::zeros({3, 1, 28, 28});
  EXPECT_EQ(inference_batch_for(backbone, images), 3);
  const auto many = torch::zeros({4096, 1, 28, 28});
  const int64_t expected = inference_batch_size(8 * 28 * 28 * 4, l2_cache_bytes(), 4096);
  EXPECT_EQ(inference_batch_for(backbone, many), expected);
  EXPECT_GE(expected, 8);
  EXPECT_LT(expected, 4096);
}

TEST(InferenceBatch, SlicesAreConcatenatedInOrder) {
  const auto images = torch::arange(10, torch::kFloat32).view({10, 1});
  std::vector<int64_t> sizes;
  const auto out = forward_in_slices(images, 4, [&](const torch::Tensor& slice) {
    sizes.push_back(slice.size(0));
    return slice * 2;
  });
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4, 2}));
  EXPECT_TRUE(out.equal(images * 2));
  sizes.clear();
  forward_in_slices(images, 0, [&](const torch::Tensor& slice) {
    sizes.push_back(slice.size(0));
    return slice;
  });
  EXPECT_EQ(sizes, (std::vector<int64_t>{10}));
}

TEST(InferenceBatch, TheBackbonesSliceSizeIsUsed) {
  const auto backbone = resnet(18, 8, true, 1);
  const auto images =
      torch::arange(1000, torch::kFloat32).view({1000, 1, 1, 1}).expand({1000, 1, 28, 28});
  const int64_t slice = inference_batch_for(backbone, images);
  ASSERT_LT(slice, 1000);
  std::vector<int64_t> sizes;
  const auto out = forward_in_slices(backbone, images, [&](const torch::Tensor& s) {
    sizes.push_back(s.size(0));
    return s.flatten(1).select(1, 0);
  });
  EXPECT_EQ(sizes.front(), slice);
  EXPECT_EQ(static_cast<int64_t>(sizes.size()), (1000 + slice - 1) / slice);
  EXPECT_TRUE(out.equal(torch::arange(1000, torch::kFloat32)));
}

TEST(InferenceBatch, SlicedEmbeddingsAgreeWithOnePass) {
  torch::manual_seed(3);
  config::ModelConfig config;
  config.width = 4;
  config.embedding_dim = 8;
  auto model = make_embedding_model(config, 1, 10);
  model->eval();
  torch::NoGradGuard no_grad;
  const auto images = torch::randn({13, 1, 28, 28});
  const auto whole = model->embed(images);
  const auto sliced =
      forward_in_slices(images, 5, [&](const torch::Tensor& slice) { return model->embed(slice); });
  // Not bit for bit: oneDNN may choose another algorithm for another batch size.
  EXPECT_TRUE(torch::allclose(sliced, whole, 1e-4, 1e-5));
}

}  // namespace
}  // namespace fct::models
