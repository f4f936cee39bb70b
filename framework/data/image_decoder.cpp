#include "framework/data/image_decoder.h"

#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <vector>

#include "framework/core/error.h"
#include "framework/data/jpeg_region_decoder.h"

namespace fct::data {
namespace {

// Beyond this a header is more likely hostile or corrupt than a photograph (the largest ImageNet
// image has 10 M pixels); decoding it could exhaust memory.
constexpr int64_t kMaxPixels = int64_t{1} << 27;

std::string first_bytes(const uint8_t* data, std::size_t size) {
  std::string text;
  for (std::size_t i = 0; i < std::min<std::size_t>(size, 4); ++i) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "%s0x%02X", i ? " " : "", data[i]);
    text += hex;
  }
  return text;
}

void check_size(int64_t width, int64_t height, const std::string& name) {
  if (width <= 0 || height <= 0 || width * height > kMaxPixels)
    throw DataError(name + ": image of " + std::to_string(width) + " x " + std::to_string(height) +
                    " pixels is empty or too large to decode");
}

std::string tj_message(void* handle) {
  return tjGetErrorStr2(static_cast<tjhandle>(handle));
}

struct PngImage {
  png_image image{};
  PngImage() { image.version = PNG_IMAGE_VERSION; }
  ~PngImage() { png_image_free(&image); }
};

void begin_png(PngImage& png, const uint8_t* data, std::size_t size, const std::string& name) {
  if (!png_image_begin_read_from_memory(&png.image, data, size))
    throw DataError(name + ": unreadable PNG: " + png.image.message);
}

}  // namespace

// Photoshop and most CMYK JPEG writers store inverted values (the Adobe convention, which
// libjpeg returns as stored): 255 means no ink. RGB is then the product of the inverted inks.
void cmyk_to_rgb(const uint8_t* cmyk, int64_t pixels, uint8_t* rgb) {
  for (int64_t i = 0; i < pixels; ++i, cmyk += 4, rgb += 3) {
    const unsigned k = cmyk[3];
    for (int c = 0; c < 3; ++c) rgb[c] = static_cast<uint8_t>((cmyk[c] * k + 127) / 255);
  }
}

ImageFormat sniff_image_format(const uint8_t* data, std::size_t size) {
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return ImageFormat::kJpeg;
  if (size >= 8 && data[0] == 0x89 && data[1] == 'P' && data[2] == 'N' && data[3] == 'G')
    return ImageFormat::kPng;
  return ImageFormat::kUnknown;
}

std::string to_string(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
      return "JPEG";
    case ImageFormat::kPng:
      return "PNG";
    case ImageFormat::kUnknown:
      break;
  }
  return "unknown";
}

ImageFormat format_of_name(std::string_view path) {
  const std::string_view name = path.substr(path.find_last_of('/') + 1);  // npos + 1 = 0
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return ImageFormat::kUnknown;
  std::string extension(name.substr(dot + 1));
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::map<std::string, ImageFormat> kExtensions = {
      {"jpg", ImageFormat::kJpeg}, {"jpeg", ImageFormat::kJpeg}, {"png", ImageFormat::kPng}};
  const auto found = kExtensions.find(extension);
  return found == kExtensions.end() ? ImageFormat::kUnknown : found->second;
}

ImageDecoder::ImageDecoder() : handle_(tjInitDecompress()) {
  if (handle_ == nullptr) throw Error("TurboJPEG: cannot create a decompressor");
}

ImageDecoder::~ImageDecoder() {
  tjDestroy(static_cast<tjhandle>(handle_));
}

void ImageDecoder::fail(const std::string& context) {
  const std::string message = context + tj_message(handle_);
  // After a fatal error the handle keeps a broken state and refuses the next good file: start over.
  tjDestroy(static_cast<tjhandle>(handle_));
  handle_ = tjInitDecompress();
  if (handle_ == nullptr) throw Error("TurboJPEG: cannot create a decompressor");
  throw DataError(message);
}

void ImageDecoder::read_jpeg_header(const uint8_t* data, std::size_t size, const std::string& name,
                                    int& width, int& height, int& subsampling, int& colorspace) {
  width = height = 0;
  if (tjDecompressHeader3(static_cast<tjhandle>(handle_), data, size, &width, &height, &subsampling,
                          &colorspace) == 0)
    return;
  // TurboJPEG 2.1 fails the header on any libjpeg warning (extraneous bytes before a marker, an
  // unknown JFIF version): such files decode, so a warning with a size is not an error.
  if (tjGetErrorCode(static_cast<tjhandle>(handle_)) == TJERR_WARNING && width > 0 && height > 0)
    return;
  fail(name + ": unreadable JPEG header: ");
}

ImageHeader ImageDecoder::header(const uint8_t* data, std::size_t size, const std::string& name) {
  if (size == 0) throw DataError(name + ": empty file");
  ImageHeader header;
  header.format = sniff_image_format(data, size);
  if (header.format == ImageFormat::kJpeg) {
    int width = 0, height = 0, subsampling = 0, colorspace = 0;
    read_jpeg_header(data, size, name, width, height, subsampling, colorspace);
    header.width = width;
    header.height = height;
  } else if (header.format == ImageFormat::kPng) {
    PngImage png;
    begin_png(png, data, size, name);
    header.width = png.image.width;
    header.height = png.image.height;
  } else {
    throw DataError(name + ": neither JPEG nor PNG (it starts with " + first_bytes(data, size) +
                    ")");
  }
  check_size(header.width, header.height, name);
  return header;
}

DecodedImage ImageDecoder::decode(const uint8_t* data, std::size_t size, const std::string& name,
                                  int scale_denominator) {
  if (scale_denominator != 1 && scale_denominator != 2 && scale_denominator != 4 &&
      scale_denominator != 8)
    throw Error("image decoder: scale denominator must be 1, 2, 4 or 8, not " +
                std::to_string(scale_denominator));
  // A JPEG's header is read once, by decode_jpeg; header() is for the other formats.
  if (size > 0 && sniff_image_format(data, size) == ImageFormat::kJpeg)
    return decode_jpeg(data, size, name, scale_denominator);
  const ImageHeader info = header(data, size, name);

  PngImage png;
  begin_png(png, data, size, name);
  // Grey, palette, 16-bit and alpha all become 8-bit RGBA; alpha is then dropped (what PIL's
  // convert("RGB") does). Reading RGB directly would composite onto the buffer's old contents.
  png.image.format = PNG_FORMAT_RGBA;
  std::vector<uint8_t> rgba(static_cast<std::size_t>(info.width * info.height * 4));
  if (!png_image_finish_read(&png.image, /*background=*/nullptr, rgba.data(), /*row_stride=*/0,
                             /*colormap=*/nullptr))
    throw DataError(name + ": PNG does not decode: " + png.image.message);
  DecodedImage out;
  out.image.pixels = torch::empty({info.height, info.width, 3}, torch::kUInt8);
  uint8_t* rgb = out.image.pixels.data_ptr<uint8_t>();
  for (int64_t i = 0; i < info.width * info.height; ++i)
    for (int c = 0; c < 3; ++c) rgb[i * 3 + c] = rgba[static_cast<std::size_t>(i * 4 + c)];
  return out;
}

DecodedImage ImageDecoder::decode_jpeg(const uint8_t* data, std::size_t size,
                                       const std::string& name, int scale_denominator) {
  auto* handle = static_cast<tjhandle>(handle_);
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  read_jpeg_header(data, size, name, width, height, subsampling, colorspace);
  check_size(width, height, name);
  const tjscalingfactor factor{1, scale_denominator};
  const int out_width = TJSCALED(width, factor);
  const int out_height = TJSCALED(height, factor);
  const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;

  DecodedImage out;
  out.scale_denominator = scale_denominator;
  out.image.pixels = torch::empty({out_height, out_width, 3}, torch::kUInt8);
  std::vector<uint8_t> cmyk_pixels;
  uint8_t* target = out.image.pixels.data_ptr<uint8_t>();
  if (cmyk) {
    // libjpeg converts CMYK/YCCK only to CMYK; the RGB step is ours.
    cmyk_pixels.resize(static_cast<std::size_t>(out_width) * out_height * 4);
    target = cmyk_pixels.data();
  }
  const int status = tjDecompress2(handle, data, size, target, out_width, /*pitch=*/0, out_height,
                                   cmyk ? TJPF_CMYK : TJPF_RGB, TJFLAG_LIMITSCANS);
  if (status != 0) {
    // A warning (typically "Premature end of JPEG file") leaves decoded pixels (grey where data
    // was missing): usable, but counted by the caller.
    if (tjGetErrorCode(handle) != TJERR_WARNING) fail(name + ": JPEG does not decode: ");
    out.truncated = true;
  }
  if (cmyk)
    cmyk_to_rgb(cmyk_pixels.data(), static_cast<int64_t>(out_width) * out_height,
                out.image.pixels.data_ptr<uint8_t>());
  return out;
}

DecodedRegion ImageDecoder::decode_region(const uint8_t* data, std::size_t size,
                                          const std::string& name, int64_t x, int64_t y,
                                          int64_t width, int64_t height, int scale_denominator) {
  if (size == 0) throw DataError(name + ": empty file");
  if (sniff_image_format(data, size) == ImageFormat::kJpeg) {
    if (!region_decoder_) region_decoder_ = std::make_unique<JpegRegionDecoder>();
    return region_decoder_->decode(data, size, name, x, y, width, height, scale_denominator);
  }
  DecodedRegion whole{decode(data, size, name, scale_denominator)};
  whole.width = whole.decoded.image.pixels.size(1);
  whole.height = whole.decoded.image.pixels.size(0);
  return whole;
}

int ImageDecoder::scale_for(int64_t region_width, int64_t region_height, int64_t target_width,
                            int64_t target_height) {
  for (const int denominator : {8, 4, 2})
    if (region_width / denominator >= target_width && region_height / denominator >= target_height)
      return denominator;
  return 1;
}

}  // namespace fct::data
