// JpegRegionDecoder (framework/data/jpeg_region_decoder.h) on real JPEGs written with TurboJPEG: a
// region decoded alone holds exactly the pixels of the same block of the whole decoded image at
// every DCT scale (4:4:4, grey and CMYK; 4:2:0 up to the chroma upsampling at the crop's cut
// columns, as libjpeg-turbo documents for jpeg_crop_scanline), widened only to the iMCU grid on
// the left and clamped to the image; truncation is flagged whichever rows a crop needs; corrupt
// input is a DataError naming the file, after which the decoder still works.
#include "framework/data/jpeg_region_decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "framework/core/error.h"
#include "framework/data/image_decoder.h"
#include "tests/image_fixtures.h"

namespace fct::data {
namespace {

using fct::testing::Chroma;
using fct::testing::encode_jpeg;
using fct::testing::JpegOptions;
using fct::testing::test_pattern;

struct Rect {
  int64_t x, y, width, height;
};

// The requested rectangles: inside, off the grid, the whole image, one pixel, reaching past the
// right and bottom edges, and starting before the left and top ones.
const std::vector<Rect> kRects = {{21, 13, 50, 40},   {0, 0, 1000, 1000}, {64, 64, 1, 1},
                                  {37, 50, 200, 200}, {-10, -7, 30, 25},  {100, 3, 17, 60}};

torch::Tensor full_decode(const std::vector<uint8_t>& bytes, int denominator) {
  ImageDecoder decoder;
  return decoder.decode(bytes.data(), bytes.size(), "full.jpg", denominator).image.pixels;
}

DecodedRegion decode_region(JpegRegionDecoder& decoder, const std::vector<uint8_t>& bytes,
                            const Rect& r, int denominator, const std::string& name = "x.jpg") {
  return decoder.decode(bytes.data(), bytes.size(), name, r.x, r.y, r.width, r.height, denominator);
}

// The block of the whole decoded image (at the same scale) that `region` says it holds.
torch::Tensor same_block(const torch::Tensor& full, const DecodedRegion& region) {
  const int64_t d = region.decoded.scale_denominator;
  const auto& pixels = region.decoded.image.pixels;
  return full.slice(0, region.y / d, region.y / d + pixels.size(0))
      .slice(1, region.x / d, region.x / d + pixels.size(1));
}

// Checks the geometry promised for `r` in a width x height image whose iMCU is `grid` pixels wide:
// the region covers the requested rectangle (clamped to the image), starts on the grid, and its
// pixel block is its full-resolution extent divided by the scale.
void expect_geometry(const DecodedRegion& region, const Rect& r, int64_t width, int64_t height,
                     int64_t grid, const std::string& where) {
  const int64_t d = region.decoded.scale_denominator;
  const auto& pixels = region.decoded.image.pixels;
  ASSERT_EQ(pixels.dim(), 3) << where;
  EXPECT_EQ(pixels.size(2), 3) << where;
  EXPECT_EQ(pixels.scalar_type(), torch::kUInt8) << where;
  EXPECT_TRUE(pixels.is_contiguous()) << where;
  const int64_t x0 = std::clamp<int64_t>(r.x, 0, width - 1);
  const int64_t y0 = std::clamp<int64_t>(r.y, 0, height - 1);
  const int64_t x1 = std::clamp<int64_t>(r.x + r.width, x0 + 1, width);
  const int64_t y1 = std::clamp<int64_t>(r.y + r.height, y0 + 1, height);
  EXPECT_EQ(region.x % grid, 0) << where;
  EXPECT_LE(region.x, x0) << where;
  EXPECT_GT(region.x + grid, x0) << where << ": widened past the grid";
  EXPECT_EQ(region.y, y0 / d * d) << where;  // rows are skipped one by one: no grid
  EXPECT_GE(region.x + region.width, x1) << where;
  EXPECT_GE(region.y + region.height, y1) << where;
  EXPECT_LE(region.x + region.width, width) << where;
  EXPECT_LE(region.y + region.height, height) << where;
  EXPECT_EQ(pixels.size(1), (region.width + d - 1) / d) << where;
  EXPECT_EQ(pixels.size(0), (region.height + d - 1) / d) << where;
  if (d == 1) {  // at full scale only the left edge moves
    EXPECT_EQ(region.x + region.width, x1) << where;
    EXPECT_EQ(region.y + region.height, y1) << where;
  }
}

struct Case {
  std::string name;
  std::vector<uint8_t> bytes;
  int64_t height, width, grid;
};

// Files without chroma subsampling: nothing is interpolated across a crop's edge.
std::vector<Case> exact_cases() {
  std::vector<Case> cases;
  cases.push_back({"4:4:4 120x160", encode_jpeg(test_pattern(120, 160, 3, 1), {90, Chroma::k444}),
                   120, 160, 8});
  cases.push_back(
      {"4:4:4 75x101", encode_jpeg(test_pattern(75, 101, 3, 2), {95, Chroma::k444}), 75, 101, 8});
  cases.push_back({"4:4:4 progressive 90x130",
                   encode_jpeg(test_pattern(90, 130, 3, 3), {90, Chroma::k444, true}), 90, 130, 8});
  cases.push_back(
      {"grey 70x99", encode_jpeg(test_pattern(70, 99, 1, 4), {90, Chroma::kGrey}), 70, 99, 8});
  cases.push_back({"cmyk 64x88", testing::encode_cmyk_jpeg(test_pattern(64, 88, 4, 5)), 64, 88, 8});
  return cases;
}

TEST(JpegRegionDecoder, RegionsEqualTheWholeDecodeWithoutChromaSubsampling) {
  JpegRegionDecoder decoder;  // one decoder for every file, as a loader thread uses it
  for (const Case& c : exact_cases()) {
    for (const int d : {1, 2, 4, 8}) {
      const torch::Tensor full = full_decode(c.bytes, d);
      for (const Rect& r : kRects) {
        const std::string where = c.name + " 1/" + std::to_string(d) + " at (" +
                                  std::to_string(r.x) + ", " + std::to_string(r.y) + ") " +
                                  std::to_string(r.width) + "x" + std::to_string(r.height);
        const DecodedRegion region = decode_region(decoder, c.bytes, r, d);
        EXPECT_EQ(region.decoded.scale_denominator, d) << where;
        EXPECT_FALSE(region.decoded.truncated) << where;
        expect_geometry(region, r, c.width, c.height, c.grid, where);
        EXPECT_TRUE(torch::equal(region.decoded.image.pixels, same_block(full, region))) << where;
      }
    }
  }
}

TEST(JpegRegionDecoder, ExactGeometryOfAnOffGridCrop) {
  // 4:4:4, 120 x 160: x = 21 moves left to the 8-pixel grid (16), the right edge and the rows stay.
  const auto bytes = encode_jpeg(test_pattern(120, 160, 3, 6), {90, Chroma::k444});
  JpegRegionDecoder decoder;
  const DecodedRegion region = decode_region(decoder, bytes, {21, 13, 50, 40}, 1);
  EXPECT_EQ(region.x, 16);
  EXPECT_EQ(region.y, 13);
  EXPECT_EQ(region.width, 55);
  EXPECT_EQ(region.height, 40);
  EXPECT_EQ(region.decoded.image.pixels.sizes().vec(), (std::vector<int64_t>{40, 55, 3}));
  // At 1/4: columns [16, 72) of the file are output columns [4, 18); rows [13, 53) are [3, 14).
  const DecodedRegion quarter = decode_region(decoder, bytes, {21, 13, 50, 40}, 4);
  EXPECT_EQ(quarter.x, 16);
  EXPECT_EQ(quarter.y, 12);
  EXPECT_EQ(quarter.decoded.image.pixels.sizes().vec(), (std::vector<int64_t>{11, 14, 3}));
  // Wholly past the bottom-right corner: the last pixel, widened to its grid cell.
  const DecodedRegion corner = decode_region(decoder, bytes, {500, 500, 10, 10}, 1);
  EXPECT_EQ(corner.x, 152);
  EXPECT_EQ(corner.y, 119);
  EXPECT_EQ(corner.width, 8);
  EXPECT_EQ(corner.height, 1);
  // An empty request still decodes the pixel it points at.
  const DecodedRegion empty = decode_region(decoder, bytes, {40, 30, 0, 0}, 1);
  EXPECT_EQ(empty.x, 40);
  EXPECT_EQ(empty.y, 30);
  EXPECT_EQ(empty.width, 1);
  EXPECT_EQ(empty.height, 1);
}

TEST(JpegRegionDecoder, SubsampledRegionsDifferOnlyInTheirCutColumns) {
  // 4:2:0: the iMCU is 16 pixels wide, and fancy upsampling treats a crop's left and right edges as
  // the image's, so the first and last output column of a crop that cuts the image may differ.
  for (const bool progressive : {false, true}) {
    const auto source = test_pattern(96, 144, 3, 7);
    const auto bytes = encode_jpeg(source, {92, Chroma::k420, progressive});
    JpegRegionDecoder decoder;
    for (const int d : {1, 2, 4, 8}) {
      const torch::Tensor full = full_decode(bytes, d);
      for (const Rect& r : kRects) {
        const std::string where = std::string(progressive ? "progressive" : "baseline") + " 1/" +
                                  std::to_string(d) + " at (" + std::to_string(r.x) + ", " +
                                  std::to_string(r.y) + ")";
        const DecodedRegion region = decode_region(decoder, bytes, r, d);
        expect_geometry(region, r, 144, 96, 16, where);
        const torch::Tensor expected = same_block(full, region);
        const torch::Tensor& actual = region.decoded.image.pixels;
        const int64_t cols = actual.size(1);
        const int64_t first = region.x > 0 ? 1 : 0;
        const int64_t last = region.x + region.width < 144 ? cols - 1 : cols;
        if (last > first) {
          EXPECT_TRUE(torch::equal(actual.slice(1, first, last), expected.slice(1, first, last)))
              << where;
        }
        // Two cut columns of a wide crop barely move its mean: the same picture.
        if (cols >= 32) {
          EXPECT_LT(testing::mean_abs_difference(actual, expected), 3.0) << where;
        }
      }
    }
  }
}

TEST(JpegRegionDecoder, GreyBecomesRgbWithEqualChannels) {
  const auto bytes = encode_jpeg(test_pattern(64, 64, 1, 8), {90, Chroma::kGrey});
  JpegRegionDecoder decoder;
  const auto pixels = decode_region(decoder, bytes, {10, 20, 30, 20}, 1).decoded.image.pixels;
  ASSERT_EQ(pixels.size(2), 3);
  EXPECT_TRUE(pixels.select(2, 0).equal(pixels.select(2, 1)));
  EXPECT_TRUE(pixels.select(2, 0).equal(pixels.select(2, 2)));
}

TEST(JpegRegionDecoder, TruncationIsFlaggedWhicheverRowsTheCropNeeds) {
  const auto whole = encode_jpeg(test_pattern(160, 200, 3, 9), {92, Chroma::k444});
  auto cut = whole;
  cut.resize(cut.size() * 6 / 10);
  JpegRegionDecoder decoder;
  const Rect top{8, 0, 40, 16}, bottom{8, 140, 40, 20};
  // The top rows are in the file: they decode as in the complete file, but the missing end is
  // still noticed (no EOI marker), so the file is counted however it is cropped.
  const DecodedRegion top_of_cut = decode_region(decoder, cut, top, 1);
  EXPECT_TRUE(top_of_cut.decoded.truncated);
  const DecodedRegion top_of_whole = decode_region(decoder, whole, top, 1);
  EXPECT_FALSE(top_of_whole.decoded.truncated);
  EXPECT_TRUE(torch::equal(top_of_cut.decoded.image.pixels, top_of_whole.decoded.image.pixels));
  // The bottom rows are missing: libjpeg warns and fills them in.
  const DecodedRegion bottom_of_cut = decode_region(decoder, cut, bottom, 1);
  EXPECT_TRUE(bottom_of_cut.decoded.truncated);
  EXPECT_EQ(bottom_of_cut.decoded.image.pixels.size(0), 20);
  EXPECT_FALSE(decode_region(decoder, whole, bottom, 1).decoded.truncated);
  // Padding after the EOI marker, as some writers leave it, is not a cut.
  auto padded = whole;
  padded.insert(padded.end(), {0, 0, '\n', '\r', ' '});
  EXPECT_FALSE(decode_region(decoder, padded, top, 1).decoded.truncated);
  // The flag does not stick to the decoder: the next complete file is clean.
  decode_region(decoder, cut, bottom, 1);
  EXPECT_FALSE(decode_region(decoder, whole, top, 2).decoded.truncated);
}

TEST(JpegRegionDecoder, CorruptInputIsADataErrorNamingTheFile) {
  const auto good = encode_jpeg(test_pattern(48, 64, 3, 10), {90, Chroma::k444});
  auto header_only = good;
  header_only.resize(20);
  const std::vector<uint8_t> garbage = {'G', 'I', 'F', '8', '9', 'a', 0, 0, 1, 2, 3, 4};
  const std::vector<uint8_t> empty;
  JpegRegionDecoder decoder;
  for (const std::vector<uint8_t>* bytes :
       std::vector<const std::vector<uint8_t>*>{&header_only, &garbage, &empty}) {
    try {
      decode_region(decoder, *bytes, {0, 0, 16, 16}, 1, "broken.jpg");
      ADD_FAILURE() << bytes->size() << " bytes decoded";
    } catch (const DataError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind("broken.jpg: JPEG does not decode: ", 0), 0u) << message;
      EXPECT_GT(message.size(), std::string("broken.jpg: JPEG does not decode: ").size())
          << "libjpeg's reason is missing";
    }
    // The same decoder decodes the next good file as if nothing happened.
    const DecodedRegion region = decode_region(decoder, good, {8, 8, 24, 24}, 1);
    EXPECT_TRUE(
        torch::equal(region.decoded.image.pixels, same_block(full_decode(good, 1), region)));
  }
}

TEST(JpegRegionDecoder, OnlyTheFourDctScalesAreAccepted) {
  const auto bytes = encode_jpeg(test_pattern(32, 32, 3, 11), {90, Chroma::k444});
  JpegRegionDecoder decoder;
  for (const int d : {0, 3, 16, -1}) {
    try {
      decode_region(decoder, bytes, {0, 0, 8, 8}, d);
      ADD_FAILURE() << "scale 1/" << d << " accepted";
    } catch (const DataError& e) {
      ADD_FAILURE() << "a wrong scale is the caller's bug, not bad data: " << e.what();
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()),
                "jpeg region decoder: scale denominator must be 1, 2, 4 or 8");
    }
  }
}

}  // namespace
}  // namespace fct::data
