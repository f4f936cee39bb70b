// The image decoders: whole JPEG and PNG files, and JPEG regions decoded crop-only (Note [Fuzz
// targets]). Decoding is in memory: the file name only labels errors.
#include "framework/data/image_decoder.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/fuzz_targets.h"

namespace fct::fuzz {
namespace {

constexpr const char* kName = "fuzzed-image.JPEG";
// A decoded image larger than this is not worth the fuzzer's time (the decoders accept up to
// 64k x 64k as JPEG allows; the header says how large before any pixel is decoded).
constexpr int64_t kMaxPixels = int64_t{4096} * 4096;

// Whole-image decoding of `format` inputs at the scale chosen by the input's first byte.
int decode_whole(const uint8_t* data, std::size_t size, data::ImageFormat format) {
  static data::ImageDecoder decoder;
  InputBytes input(data, size);
  const int scale = 1 << input.integer(0, 3);
  if (data::sniff_image_format(input.rest(), input.rest_size()) != format) return 0;
  try {
    const auto header = decoder.header(input.rest(), input.rest_size(), kName);
    if (header.width * header.height > kMaxPixels) return 0;
    decoder.decode(input.rest(), input.rest_size(), kName, scale);
  } catch (const Error& e) {
    require_named(e, kName);
  }
  return 0;
}

}  // namespace

int fuzz_jpeg(const uint8_t* data, std::size_t size) {
  return decode_whole(data, size, data::ImageFormat::kJpeg);
}

int fuzz_png(const uint8_t* data, std::size_t size) {
  return decode_whole(data, size, data::ImageFormat::kPng);
}

// Input: the region (x, y, width, height: two bytes each, any values, negative ones included) and
// the scale (a byte), then the file.
int fuzz_jpeg_region(const uint8_t* data, std::size_t size) {
  static data::ImageDecoder decoder;
  InputBytes input(data, size);
  const int64_t x = input.integer(-256, 65535), y = input.integer(-256, 65535);
  const int64_t width = input.integer(-16, 65535), height = input.integer(-16, 65535);
  const int scale = 1 << input.integer(0, 3);
  try {
    const auto header = decoder.header(input.rest(), input.rest_size(), kName);
    if (header.width * header.height > kMaxPixels) return 0;
    decoder.decode_region(input.rest(), input.rest_size(), kName, x, y, width, height, scale);
  } catch (const Error& e) {
    require_named(e, kName);
  }
  return 0;
}

}  // namespace fct::fuzz
