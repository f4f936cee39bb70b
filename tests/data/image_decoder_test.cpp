// ImageDecoder on real files of every kind the datasets hold: baseline and progressive JPEG,
// 4:2:0 and 4:4:4, grey, CMYK, truncated, empty, garbage, a PNG named .JPEG; DCT-domain scaling;
// and corrupted bytes, which must give an error or an image, never a crash.
#include "framework/data/image_decoder.h"

#include <gtest/gtest.h>

#include <random>

#include "framework/core/error.h"
#include "tests/image_fixtures.h"

namespace fct::data {
namespace {

using testing::Chroma;
using testing::encode_jpeg;
using testing::JpegOptions;
using testing::mean_abs_difference;
using testing::test_pattern;

DecodedImage decode(const std::vector<uint8_t>& bytes, int denominator = 1) {
  ImageDecoder decoder;
  return decoder.decode(bytes.data(), bytes.size(), "test.JPEG", denominator);
}

std::string error_of(const std::vector<uint8_t>& bytes) {
  try {
    decode(bytes);
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

TEST(ImageDecoder, ColourJpegsDecodeCloseToTheirSource) {
  const auto source = test_pattern(75, 100, 3, 1);
  for (const Chroma chroma : {Chroma::k420, Chroma::k444})
    for (const bool progressive : {false, true}) {
      JpegOptions options;
      options.chroma = chroma;
      options.progressive = progressive;
      options.quality = 95;
      const auto bytes = encode_jpeg(source, options);
      ImageDecoder decoder;
      const auto header = decoder.header(bytes.data(), bytes.size(), "x.JPEG");
      EXPECT_EQ(header.format, ImageFormat::kJpeg);
      EXPECT_EQ(header.width, 100);
      EXPECT_EQ(header.height, 75);
      const auto decoded = decode(bytes);
      ASSERT_EQ(decoded.image.pixels.sizes(), source.sizes());
      EXPECT_FALSE(decoded.truncated);
      EXPECT_LT(mean_abs_difference(decoded.image.pixels, source), 4.0)
          << "4:4:4 " << (chroma == Chroma::k444) << " progressive " << progressive;
    }
}

TEST(ImageDecoder, GreyJpegBecomesRgbWithEqualChannels) {
  const auto grey = test_pattern(40, 50, 1, 2);
  JpegOptions options;
  options.chroma = Chroma::kGrey;
  const auto decoded = decode(encode_jpeg(grey, options)).image.pixels;
  ASSERT_EQ(decoded.sizes(), (std::vector<int64_t>{40, 50, 3}));
  EXPECT_TRUE(decoded.select(2, 0).equal(decoded.select(2, 1)));
  EXPECT_TRUE(decoded.select(2, 0).equal(decoded.select(2, 2)));
  EXPECT_LT(mean_abs_difference(decoded.select(2, 0), grey.select(2, 0)), 4.0);
}

TEST(ImageDecoder, CmykJpegBecomesRgb) {
  // Inverted (Adobe) inks: C = R, M = G, Y = B with K = 255 (no black) is the RGB image itself;
  // with K = 128 everything is about half as bright.
  const auto rgb = test_pattern(32, 48, 3, 3);
  auto cmyk = torch::cat({rgb, torch::full({32, 48, 1}, 255, torch::kUInt8)}, 2);
  const auto decoded = decode(testing::encode_cmyk_jpeg(cmyk)).image.pixels;
  ASSERT_EQ(decoded.sizes(), rgb.sizes());
  EXPECT_LT(mean_abs_difference(decoded, rgb), 5.0);

  cmyk.select(2, 3).fill_(128);
  const auto darker = decode(testing::encode_cmyk_jpeg(cmyk)).image.pixels;
  EXPECT_LT(mean_abs_difference(darker, (rgb.to(torch::kFloat64) * 128 / 255).round()), 5.0);
}

TEST(ImageDecoder, PngNamedJpegIsSniffedAndDecodedExactly) {
  const auto source = test_pattern(20, 30, 3, 4);
  const auto bytes = testing::encode_png(source);
  ImageDecoder decoder;
  EXPECT_EQ(decoder.header(bytes.data(), bytes.size(), "n02105855_2933.JPEG").format,
            ImageFormat::kPng);
  const auto decoded = decode(bytes, /*denominator=*/4);  // PNG ignores the DCT scale
  EXPECT_EQ(decoded.scale_denominator, 1);
  EXPECT_TRUE(decoded.image.pixels.equal(source));
}

TEST(ImageDecoder, TruncatedJpegDecodesAndIsFlagged) {
  const auto source = test_pattern(96, 128, 3, 5);
  auto bytes = encode_jpeg(source);
  bytes.resize(bytes.size() * 6 / 10);
  const auto decoded = decode(bytes);
  EXPECT_TRUE(decoded.truncated);
  ASSERT_EQ(decoded.image.pixels.sizes(), source.sizes());
  // The rows that were in the file are intact.
  EXPECT_LT(mean_abs_difference(decoded.image.pixels.slice(0, 0, 16), source.slice(0, 0, 16)), 4.0);
}

TEST(ImageDecoder, UnreadableFilesAreDataErrorsNamingTheFile) {
  EXPECT_NE(error_of({}).find("test.JPEG: empty file"), std::string::npos);
  const std::string garbage = error_of({'G', 'I', 'F', '8', '9', 'a', 0, 0});
  EXPECT_NE(garbage.find("test.JPEG"), std::string::npos) << garbage;
  EXPECT_NE(garbage.find("neither JPEG nor PNG"), std::string::npos) << garbage;
  EXPECT_NE(garbage.find("0x47 0x49 0x46 0x38"), std::string::npos) << garbage;
  // Only the start of a JPEG: the header is incomplete.
  auto bytes = encode_jpeg(test_pattern(16, 16, 3, 6));
  bytes.resize(20);
  EXPECT_NE(error_of(bytes).find("test.JPEG"), std::string::npos);
  // A PNG cut short.
  auto png = testing::encode_png(test_pattern(16, 16, 3, 6));
  png.resize(png.size() / 2);
  EXPECT_NE(error_of(png).find("test.JPEG"), std::string::npos);
}

TEST(ImageDecoder, DctScalingDividesEachSideAndKeepsTheContent) {
  const auto source = test_pattern(375, 500, 3, 7);
  const auto bytes = encode_jpeg(source, {95, Chroma::k444, false});
  for (const int d : {2, 4, 8}) {
    const auto decoded = decode(bytes, d);
    EXPECT_EQ(decoded.scale_denominator, d);
    const int64_t h = (375 + d - 1) / d, w = (500 + d - 1) / d;
    ASSERT_EQ(decoded.image.pixels.sizes(), (std::vector<int64_t>{h, w, 3})) << d;
    // Against the source averaged over d x d blocks (the part of it that fills whole blocks).
    const auto pooled =
        torch::avg_pool2d(source.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat32), d)
            .squeeze(0)
            .permute({1, 2, 0});
    const auto whole = decoded.image.pixels.slice(0, 0, pooled.size(0)).slice(1, 0, pooled.size(1));
    EXPECT_LT(mean_abs_difference(whole, pooled), 6.0) << d;
  }
  EXPECT_THROW(decode(bytes, 3), Error);
}

TEST(ImageDecoder, ScaleForPicksTheLargestDenominatorThatKeepsTheTarget) {
  EXPECT_EQ(ImageDecoder::scale_for(500, 375, 224, 224), 1);
  EXPECT_EQ(ImageDecoder::scale_for(500, 460, 224, 224), 2);
  EXPECT_EQ(ImageDecoder::scale_for(1000, 900, 224, 224), 4);
  EXPECT_EQ(ImageDecoder::scale_for(2000, 1800, 224, 224), 8);
  EXPECT_EQ(ImageDecoder::scale_for(4000, 1000, 224, 224), 4);  // the short side decides
  EXPECT_EQ(ImageDecoder::scale_for(100, 100, 224, 224), 1);    // upsampling: never scaled
}

TEST(ImageDecoder, CorruptedBytesGiveAnErrorOrAnImageNeverACrash) {
  const auto clean = encode_jpeg(test_pattern(64, 64, 3, 8), {90, Chroma::k420, true});
  std::mt19937 random(42);
  ImageDecoder decoder;  // one decoder through every failure: it must stay usable
  int errors = 0, images = 0;
  for (int trial = 0; trial < 300; ++trial) {
    auto bytes = clean;
    const int flips = 1 + static_cast<int>(random() % 8);
    for (int f = 0; f < flips; ++f)
      bytes[2 + random() % (bytes.size() - 2)] = static_cast<uint8_t>(random());
    if (trial % 3 == 0) bytes.resize(2 + random() % (bytes.size() - 2));
    try {
      const auto decoded = decoder.decode(bytes.data(), bytes.size(), "fuzz.jpg", 1 << (trial % 4));
      EXPECT_EQ(decoded.image.pixels.dim(), 3);
      ++images;
    } catch (const DataError&) {
      ++errors;
    }
  }
  EXPECT_EQ(errors + images, 300);
  // The decoder still decodes a good file afterwards.
  EXPECT_LT(mean_abs_difference(decoder.decode(clean.data(), clean.size(), "ok.jpg").image.pixels,
                                test_pattern(64, 64, 3, 8)),
            5.0);
}

}  // namespace
}  // namespace fct::data
