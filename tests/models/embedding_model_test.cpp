// EmbeddingModel and the model registry: classifier without bias, output shapes, names, timing.
#include "framework/models/embedding_model.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "framework/core/error.h"
#include "framework/models/model_registry.h"

namespace fct::models {
namespace {

config::ModelConfig small_config(int64_t width = 16, int64_t d = 128) {
  config::ModelConfig config;
  config.arch = "resnet18_small";
  config.width = width;
  config.embedding_dim = d;
  return config;
}

TEST(EmbeddingModel, RegistryNames) {
  EXPECT_EQ(model_names(),
            (std::vector<std::string>{"resnet10", "resnet18", "resnet34", "resnet50",
                                      "resnet10_small", "resnet18_small", "resnet34_small",
                                      "resnet50_small", "torchscript"}));
  config::ModelConfig config;
  config.arch = "resnet19";
  try {
    make_embedding_model(config, 3, 10);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("resnet18"), std::string::npos) << e.what();
  }
}

TEST(EmbeddingModel, ShapesAndBiasFreeClassifier) {
  EmbeddingModel model = make_embedding_model(small_config(16, 64), 1, 5);
  EXPECT_EQ(model->embedding_dim(), 64);
  EXPECT_EQ(model->num_classes(), 5);
  EXPECT_FALSE(model->classifier()->bias.defined());
  const auto params = model->named_parameters();
  EXPECT_NE(params.find("classifier.weight"), nullptr);
  EXPECT_EQ(params.find("classifier.bias"), nullptr);
  EXPECT_NE(params.find("backbone.conv1.weight"), nullptr);
  EXPECT_NE(params.find("backbone.layer4.1.downsample.0.weight"), nullptr);
  EXPECT_EQ(params["classifier.weight"].sizes(), (std::vector<int64_t>{5, 64}));

  const EmbeddingOutput out = model->forward(torch::randn({3, 1, 28, 28}));
  EXPECT_EQ(out.embedding.sizes(), (std::vector<int64_t>{3, 64}));
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{3, 5}));
  EXPECT_GE(out.embedding.min().item<float>(), 0.0f);
  EXPECT_TRUE(torch::allclose(
      out.logits, torch::matmul(out.embedding, params["classifier.weight"].t()), 1e-5, 1e-5));
  model->eval();
  const torch::Tensor x = torch::randn({2, 1, 28, 28});
  EXPECT_TRUE(torch::allclose(model->embed(x), model->forward(x).embedding));
}

TEST(EmbeddingModel, LinearHeadAndStandardStem) {
  config::ModelConfig config;
  config.arch = "resnet50";
  config.head = config::EmbeddingHead::kLinear;
  config.width = 8;
  config.embedding_dim = 16;
  EmbeddingModel model = make_embedding_model(config, 3, 7);
  const auto params = model->named_parameters();
  EXPECT_EQ(params["backbone.projection.weight"].sizes(), (std::vector<int64_t>{16, 32 * 8}));
  EXPECT_EQ(params["backbone.conv1.weight"].sizes(), (std::vector<int64_t>{8, 3, 7, 7}));
  const EmbeddingOutput out = model->forward(torch::randn({2, 3, 64, 64}));
  EXPECT_EQ(out.embedding.sizes(), (std::vector<int64_t>{2, 16}));
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{2, 7}));
}

TEST(EmbeddingModel, InvalidSizesAreErrors) {
  EXPECT_THROW(make_embedding_model(small_config(), 1, -1), Error);
  auto no_dimension = small_config();
  no_dimension.embedding_dim = 0;
  EXPECT_THROW(make_embedding_model(no_dimension, 1, 10), Error);
}

// Reports the cost the trainer pays per step on one core: resnet18_small, width 16, d = 128,
// batch [128, 1, 28, 28], forward + backward.
TEST(EmbeddingModel, ForwardBackwardTimeOneThread) {
  const int previous = torch::get_num_threads();
  torch::set_num_threads(1);
  torch::manual_seed(0);
  EmbeddingModel model = make_embedding_model(small_config(16, 128), 1, 10);
  const torch::Tensor images = torch::randn({128, 1, 28, 28});
  const torch::Tensor labels = torch::randint(0, 10, {128}, torch::kInt64);
  auto step = [&] {
    model->zero_grad();
    const EmbeddingOutput out = model->forward(images);
    torch::nn::functional::cross_entropy(out.logits, labels).backward();
  };
  step();  // warm-up
  const int steps = 3;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() /
      steps;
  std::printf("resnet18_small w16 d128 [128,1,28,28] fwd+bwd, 1 thread: %.1f ms/step\n", ms);
  RecordProperty("forward_backward_ms", std::to_string(ms));
  torch::set_num_threads(previous);
  EXPECT_GT(ms, 0.0);
}

}  // namespace
}  // namespace fct::models
