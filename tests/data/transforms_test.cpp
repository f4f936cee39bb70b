// Transforms: normalisation values, augmentation geometry, and determinism of the random draws.
#include "framework/data/transforms.h"

#include <gtest/gtest.h>

#include "framework/core/error.h"
#include "tests/data/data_fixtures.h"

namespace fct::data {
namespace {

RawImage ramp(int64_t h, int64_t w, int64_t c = 1) {
  auto pixels = torch::arange(h * w * c, torch::kInt64).remainder(256).to(torch::kUInt8);
  return {pixels.reshape({h, w, c}).contiguous()};
}

TEST(SampleRng, DeterministicPerKey) {
  SampleRng a(1, 2, 3), b(1, 2, 3), c(1, 3, 3), d(1, 2, 4);
  const uint64_t first = a.next_u64();
  EXPECT_EQ(first, b.next_u64());
  EXPECT_NE(first, c.next_u64());
  EXPECT_NE(first, d.next_u64());
  for (int i = 0; i < 1000; ++i) {
    const double u = a.uniform();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
    const int64_t k = a.integer(-2, 2);
    EXPECT_GE(k, -2);
    EXPECT_LE(k, 2);
  }
}

TEST(Transforms, EvalNormalisesFashionMnist) {
  const Transform transform = eval_transform(fct::config::DataConfig{});
  const RawImage image = ramp(28, 28);
  const torch::Tensor out = transform(image, 0, 0, 0);
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{1, 28, 28}));
  const torch::Tensor expected =
      (image.pixels.permute({2, 0, 1}).to(torch::kFloat32) / 255.0 - 0.2860) / 0.3530;
  EXPECT_TRUE(torch::allclose(out, expected, 1e-5, 1e-5));
  fct::config::DataConfig unknown;
  unknown.name = "no_such_dataset";
  EXPECT_THROW(eval_transform(unknown), ConfigError);
}

TEST(Transforms, AugmentationIsDeterministicPerSeedEpochAndId) {
  const Transform transform = train_transform(fct::config::DataConfig{});
  const RawImage image = ramp(28, 28);
  const torch::Tensor a = transform(image, 7, 3, 42);
  EXPECT_TRUE(torch::equal(a, transform(image, 7, 3, 42)));
  // Across 20 sample ids, another epoch (or seed) must change some of the outputs.
  int changed_epoch = 0, changed_seed = 0;
  for (int64_t id = 0; id < 20; ++id) {
    const torch::Tensor base = transform(image, 7, 3, id);
    changed_epoch += !torch::equal(base, transform(image, 7, 4, id));
    changed_seed += !torch::equal(base, transform(image, 8, 3, id));
  }
  EXPECT_GT(changed_epoch, 10);
  EXPECT_GT(changed_seed, 10);
}

TEST(Transforms, PaddedCropAndFlipAreShiftsOfTheImage) {
  const Transform transform = train_transform(fct::config::DataConfig{});
  const RawImage image = ramp(28, 28);
  const float zero = (0.0f - 0.2860f) / 0.3530f;
  const torch::Tensor plain = eval_transform(fct::config::DataConfig{})(image, 0, 0, 0)[0];
  bool saw_flip = false, saw_plain = false;
  for (int64_t id = 0; id < 64; ++id) {
    const torch::Tensor out = transform(image, 0, 0, id)[0];
    ASSERT_EQ(out.sizes(), (std::vector<int64_t>{28, 28}));
    // Find the shift (dy, dx) in [-2, 2] and flip that explain the output.
    bool explained = false;
    for (int flip = 0; flip < 2 && !explained; ++flip) {
      const torch::Tensor src = flip ? plain.flip({1}) : plain;
      for (int64_t dy = -2; dy <= 2 && !explained; ++dy)
        for (int64_t dx = -2; dx <= 2 && !explained; ++dx) {
          auto padded = torch::full({32, 32}, zero);
          padded.slice(0, 2, 30).slice(1, 2, 30).copy_(src);
          const auto crop = padded.slice(0, 2 + dy, 30 + dy).slice(1, 2 + dx, 30 + dx);
          if (torch::allclose(out, crop)) {
            explained = true;
            saw_flip |= flip == 1;
            saw_plain |= flip == 0;
          }
        }
    }
    EXPECT_TRUE(explained) << "sample " << id;
  }
  EXPECT_TRUE(saw_flip);
  EXPECT_TRUE(saw_plain);
}

TEST(Transforms, SimclrViewShapeRangeAndDeterminism) {
  const Transform transform = simclr_transform(fct::config::DataConfig{}, 24);
  const RawImage image = ramp(28, 28);
  const torch::Tensor a = transform(image, 1, 0, 5);
  ASSERT_EQ(a.sizes(), (std::vector<int64_t>{1, 24, 24}));
  EXPECT_TRUE(torch::equal(a, transform(image, 1, 0, 5)));
  EXPECT_FALSE(torch::equal(a, transform(image, 1, 0, 6)));
  const float lo = (0.0f - 0.2860f) / 0.3530f, hi = (1.0f - 0.2860f) / 0.3530f;
  EXPECT_GE(a.min().item<float>(), lo - 1e-5);
  EXPECT_LE(a.max().item<float>(), hi + 1e-5);
}

TEST(Transforms, RgbImagesAndBadInputs) {
  TransformOptions options;
  options.normalization = {{0.5f, 0.5f, 0.5f}, {0.5f, 0.5f, 0.5f}};
  const Transform transform(options);
  const RawImage image = ramp(4, 5, 3);
  const torch::Tensor out = transform(image, 0, 0, 0);
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_NEAR(out[2][1][3].item<float>(),
              (image.pixels[1][3][2].item<int>() / 255.0f - 0.5f) / 0.5f, 1e-5);
  // Two channels against a three-channel normalisation.
  EXPECT_THROW(transform(ramp(4, 4, 2), 0, 0, 0), Error);
  EXPECT_THROW(transform(RawImage{torch::zeros({4, 4, 3})}, 0, 0, 0), Error);
  TransformOptions bad;
  EXPECT_THROW(Transform{bad}, Error);
}

}  // namespace
}  // namespace fct::data
