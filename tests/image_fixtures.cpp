#include "tests/image_fixtures.h"

#include <png.h>
#include <turbojpeg.h>

#include <cmath>
#include <fstream>
#include <stdexcept>

namespace fct::testing {
namespace {

struct Compressor {
  tjhandle handle = tjInitCompress();
  ~Compressor() { tjDestroy(handle); }
};

std::vector<uint8_t> compress(const uint8_t* pixels, int width, int height, int pixel_format,
                              int subsampling, int quality, int flags) {
  Compressor compressor;
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  if (tjCompress2(compressor.handle, pixels, width, 0, height, pixel_format, &jpeg, &size,
                  subsampling, quality, flags) != 0)
    throw std::runtime_error(std::string("tjCompress2: ") + tjGetErrorStr2(compressor.handle));
  std::vector<uint8_t> bytes(jpeg, jpeg + size);
  tjFree(jpeg);
  return bytes;
}

}  // namespace

torch::Tensor test_pattern(int64_t height, int64_t width, int64_t channels, uint64_t seed) {
  auto pixels = torch::empty({height, width, channels}, torch::kUInt8);
  auto* p = pixels.data_ptr<uint8_t>();
  const double phase = static_cast<double>(seed % 97) * 0.37;
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x)
      for (int64_t c = 0; c < channels; ++c) {
        double v = 128 + 90 * std::sin(0.05 * x + 0.07 * y + phase + 2.1 * c);
        if ((x / 16 + y / 16 + static_cast<int64_t>(seed)) % 5 == 0) v = 40 + 30 * c;  // edges
        *p++ = static_cast<uint8_t>(std::clamp(v, 0.0, 255.0));
      }
  return pixels;
}

std::vector<uint8_t> encode_jpeg(const torch::Tensor& pixels, const JpegOptions& options) {
  const auto image = pixels.contiguous();
  const bool grey = options.chroma == Chroma::kGrey;
  if (image.dim() != 3 || image.size(2) != (grey ? 1 : 3))
    throw std::invalid_argument("encode_jpeg: expected [H, W, 3] (or [H, W, 1] for grey)");
  const int subsampling = grey                             ? TJSAMP_GRAY
                          : options.chroma == Chroma::k444 ? TJSAMP_444
                                                           : TJSAMP_420;
  return compress(image.data_ptr<uint8_t>(), static_cast<int>(image.size(1)),
                  static_cast<int>(image.size(0)), grey ? TJPF_GRAY : TJPF_RGB, subsampling,
                  options.quality, options.progressive ? TJFLAG_PROGRESSIVE : 0);
}

std::vector<uint8_t> encode_cmyk_jpeg(const torch::Tensor& cmyk, int quality) {
  const auto image = cmyk.contiguous();
  if (image.dim() != 3 || image.size(2) != 4)
    throw std::invalid_argument("encode_cmyk_jpeg: expected [H, W, 4]");
  return compress(image.data_ptr<uint8_t>(), static_cast<int>(image.size(1)),
                  static_cast<int>(image.size(0)), TJPF_CMYK, TJSAMP_444, quality, 0);
}

std::vector<uint8_t> encode_png(const torch::Tensor& pixels) {
  const auto image = pixels.contiguous();
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.size(1));
  png.height = static_cast<png_uint_32>(image.size(0));
  png.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (!png_image_write_get_memory_size(png, size, 0, image.data_ptr(), 0, nullptr))
    throw std::runtime_error(std::string("libpng: ") + png.message);
  std::vector<uint8_t> bytes(size);
  if (!png_image_write_to_memory(&png, bytes.data(), &size, 0, image.data_ptr(), 0, nullptr))
    throw std::runtime_error(std::string("libpng: ") + png.message);
  bytes.resize(size);
  return bytes;
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

double mean_abs_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().mean().item<double>();
}

}  // namespace fct::testing
