// TorchScript both ways inside LibTorch: a module made and saved by TorchScript becomes a backbone
// that converts fct's images into what the module expects and travels inside fct's model file;
// fct's ResNets of every shape export to modules whose forward (pixels in [0, 1]) equals the
// backbone's on the normalised images.
#include <gtest/gtest.h>
#include <torch/script.h>

#include <filesystem>
#include <ostream>
#include <string>

#include "framework/config/enum_names.h"
#include "framework/core/error.h"
#include "framework/models/embedding_model.h"
#include "framework/models/model_file.h"
#include "framework/models/resnet.h"
#include "framework/models/torchscript_backbone.h"
#include "framework/models/torchscript_export.h"
#include "tests/test_support.h"

namespace fct::models {
namespace {

using fct::testing::ScratchDir;

// A module that records what it is given: embeddings are the per-channel means and the side.
std::string save_probe_module(const std::string& path) {
  torch::jit::Module module("Probe");
  module.define(
      "def forward(self, x: Tensor) -> Tensor:\n"
      "    side = torch.full([x.size(0), 1], float(x.size(2)))\n"
      "    return torch.cat([x.mean([2, 3]), side], 1)\n");
  module.save(path);
  return path;
}

TEST(TorchScriptBackbone, ConvertsTheDatasetsNormalisationAndSizeIntoTheModules) {
  ScratchDir dir("fct-torchscript");
  TorchScriptBackbone backbone(save_probe_module(dir.file("probe.ts")),
                               TorchScriptInput{32, {0.5}, {0.25}});
  backbone->set_source_normalization({0.2860}, {0.3530});
  // Pixels of value p, normalised as the dataset does: the module must see (p - 0.5) / 0.25.
  const double p = 0.7;
  const auto images = torch::full({2, 1, 28, 28}, (p - 0.2860) / 0.3530);
  const auto out = backbone->forward(images);
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{2, 2}));
  EXPECT_NEAR(out[0][0].item<double>(), (p - 0.5) / 0.25, 1e-5);
  EXPECT_EQ(out[0][1].item<double>(), 32.0);  // resized to input_size
}

TEST(TorchScriptBackbone, WithoutItsOwnNormalisationTakesTheImagesAsGiven) {
  ScratchDir dir("fct-torchscript");
  TorchScriptBackbone backbone(save_probe_module(dir.file("probe.ts")), TorchScriptInput{});
  const auto images = torch::full({1, 3, 10, 10}, 1.5);
  const auto out = backbone->forward(images);
  EXPECT_EQ(out[0][0].item<double>(), 1.5);
  EXPECT_EQ(out[0][3].item<double>(), 10.0);
}

TEST(TorchScriptBackbone, TravelsInsideTheModelFileAndStaysInEvaluationMode) {
  ScratchDir dir("fct-torchscript");
  config::ModelConfig config;
  config.arch = "torchscript";
  config.path = save_probe_module(dir.file("probe.ts"));
  config.embedding_dim = 2;
  config.input_mean = {0.5};
  config.input_std = {0.25};
  auto model = make_embedding_model(config, 1, 0);
  EXPECT_FALSE(model->has_classifier());
  model->backbone().ptr()->as<TorchScriptBackboneImpl>()->set_source_normalization({0.0}, {1.0});
  model->train();
  EXPECT_FALSE(model->backbone().ptr()->is_training());
  const auto images = torch::rand({3, 1, 8, 8});
  const auto expected = model->embed(images);
  EXPECT_EQ(model->forward(images).logits.sizes(), (std::vector<int64_t>{3, 0}));
  save_model_file(dir.file("model.pt"), *model,
                  {kEmbeddingKind, "old", make_embedding_spec(config, "fashion_mnist", 1, {}), ""});
  std::filesystem::remove(dir.file("probe.ts"));  // the model file needs nothing beside it
  auto loaded = load_embedding_model(dir.file("model.pt"));
  EXPECT_FALSE(loaded.model->has_classifier());
  EXPECT_TRUE(torch::equal(loaded.model->embed(images), expected));
}

TEST(TorchScriptBackbone, RefusesAFileThatIsNotTorchScriptNamingIt) {
  ScratchDir dir("fct-torchscript");
  fct::testing::write_text_file(dir.file("notes.ts"), "not a module");
  try {
    TorchScriptBackbone backbone(dir.file("notes.ts"), TorchScriptInput{});
    FAIL() << "expected fct::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.file("notes.ts") + " is not a TorchScript module"),
              std::string::npos)
        << e.what();
  }
}

struct ExportCase {
  int64_t depth;
  bool small_input;
  config::EmbeddingHead head;
  int64_t channels;
  int64_t side;
};

std::string describe(const ExportCase& c) {
  return "resnet" + std::to_string(c.depth) + (c.small_input ? "_small_" : "_") +
         config::name_of(c.head) + "_head_" + std::to_string(c.channels) + "_channels";
}

// GoogleTest prints parameters with it (instead of their bytes).
void PrintTo(const ExportCase& c, std::ostream* out) {
  *out << describe(c);
}

class TorchScriptExport : public ::testing::TestWithParam<ExportCase> {};

TEST_P(TorchScriptExport, ForwardOfPixelsEqualsTheBackboneOnNormalisedImages) {
  const auto c = GetParam();
  torch::manual_seed(7);
  ResNetOptions options;
  options.depth = c.depth;
  options.width = 4;
  options.small_input = c.small_input;
  options.in_channels = c.channels;
  options.embedding_dim = 12;
  options.head = c.head;
  ResNet backbone(options);
  // Move BatchNorm's statistics off (0, 1), as training would.
  backbone->train();
  backbone->forward(torch::randn({8, c.channels, c.side, c.side}));
  backbone->eval();
  ExportTransform transform;
  for (int64_t k = 0; k < c.channels; ++k) {
    transform.mean.push_back(0.3 + 0.1 * static_cast<double>(k));
    transform.std.push_back(0.2 + 0.05 * static_cast<double>(k));
  }
  auto module = export_torchscript(*backbone, transform);
  ScratchDir dir("fct-export");
  module.save(dir.file("m.ts"));
  auto reloaded = torch::jit::load(dir.file("m.ts"));

  const auto pixels = torch::rand({3, c.channels, c.side, c.side});
  const auto mean = torch::tensor(transform.mean, torch::kFloat32).view({1, c.channels, 1, 1});
  const auto stdev = torch::tensor(transform.std, torch::kFloat32).view({1, c.channels, 1, 1});
  torch::NoGradGuard no_grad;
  const auto expected = backbone->forward((pixels - mean) / stdev);
  const auto exported = reloaded.forward({pixels}).toTensor();
  ASSERT_EQ(exported.sizes(), expected.sizes());
  EXPECT_LE((exported - expected).abs().max().item<double>(), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, TorchScriptExport,
    ::testing::Values(ExportCase{10, true, config::EmbeddingHead::kConv, 1, 28},
                      ExportCase{18, true, config::EmbeddingHead::kLinear, 3, 32},
                      ExportCase{50, false, config::EmbeddingHead::kConv, 3, 64},
                      ExportCase{34, false, config::EmbeddingHead::kLinear, 3, 64}),
    [](const ::testing::TestParamInfo<ExportCase>& info) { return describe(info.param); });

TEST(TorchScriptExport, CropsAndResizesPhotographsBeforeNormalising) {
  torch::manual_seed(3);
  ResNetOptions options;
  options.depth = 10;
  options.width = 4;
  options.embedding_dim = 8;
  ResNet backbone(options);
  backbone->eval();
  ExportTransform transform{{0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}, 32, 0.5};
  auto module = export_torchscript(*backbone, transform);
  // A 80 x 120 image: the centre 40 x 40 (half the shorter side), resized to 32.
  const auto pixels = torch::rand({2, 3, 80, 120});
  const auto crop = pixels.index({torch::indexing::Slice(), torch::indexing::Slice(),
                                  torch::indexing::Slice(20, 60), torch::indexing::Slice(40, 80)});
  const auto resized = torch::upsample_bilinear2d(crop, {32, 32}, false);
  const auto mean = torch::tensor(transform.mean, torch::kFloat32).view({1, 3, 1, 1});
  const auto stdev = torch::tensor(transform.std, torch::kFloat32).view({1, 3, 1, 1});
  torch::NoGradGuard no_grad;
  const auto expected = backbone->forward((resized - mean) / stdev);
  EXPECT_LE((module.forward({pixels}).toTensor() - expected).abs().max().item<double>(), 1e-5);
}

TEST(TorchScriptExport, RefusesANormalisationOfAnotherChannelCount) {
  ResNetOptions options;
  options.depth = 10;
  options.width = 4;
  options.small_input = true;
  options.in_channels = 1;
  ResNet backbone(options);
  EXPECT_THROW(export_torchscript(*backbone, ExportTransform{{0.5, 0.5, 0.5}, {0.2, 0.2, 0.2}}),
               Error);
}

}  // namespace
}  // namespace fct::models
