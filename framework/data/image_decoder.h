// ImageDecoder: image files as they lie in ImageNet, Places-365 and VGG-Face2 folders, decoded to
// RGB. The format comes from the file's magic bytes, never from its name (ImageNet has a PNG named
// .JPEG). JPEG goes through libjpeg-turbo's TurboJPEG API, with DCT-domain downscaling (1/2, 1/4,
// 1/8) when the caller needs fewer pixels than the file has; PNG through libpng. Grey and CMYK
// JPEGs become RGB; a truncated JPEG that still decodes is returned and flagged. Anything else is
// a DataError naming the file. One decoder per thread: it owns a TurboJPEG handle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "framework/data/dataset.h"

namespace fct::data {

class JpegRegionDecoder;

enum class ImageFormat { kJpeg, kPng, kUnknown };

// From the first bytes: FF D8 FF is JPEG, 89 'P' 'N' 'G' is PNG.
ImageFormat sniff_image_format(const uint8_t* data, std::size_t size);
std::string to_string(ImageFormat format);
// From a file's name or path: the format its extension claims (.jpg, .jpeg, .png in any case);
// kUnknown for other extensions, none, or a hidden file's leading dot.
ImageFormat format_of_name(std::string_view path);

// CMYK pixels as libjpeg returns them from an Adobe CMYK/YCCK JPEG (inverted inks: 255 = no ink),
// to RGB: each channel is its inverted ink times K / 255.
void cmyk_to_rgb(const uint8_t* cmyk, int64_t pixels, uint8_t* rgb);

struct ImageHeader {
  ImageFormat format = ImageFormat::kUnknown;
  int64_t width = 0;
  int64_t height = 0;
};

struct DecodedImage {
  RawImage image;             // uint8 [H, W, 3]
  bool truncated = false;     // libjpeg warned (e.g. premature end of data) but pixels came out
  int scale_denominator = 1;  // the image is the file's size divided by this (DCT scaling)
};

// A decoded part of an image: `decoded` holds the full-resolution pixels [x, x + width) x
// [y, y + height) of the file, divided by decoded.scale_denominator.
struct DecodedRegion {
  DecodedImage decoded;
  int64_t x = 0, y = 0, width = 0, height = 0;
};

class ImageDecoder {
 public:
  ImageDecoder();
  ~ImageDecoder();
  ImageDecoder(const ImageDecoder&) = delete;
  ImageDecoder& operator=(const ImageDecoder&) = delete;

  // Format and size without decoding pixels. `name` (the file) only labels errors.
  ImageHeader header(const uint8_t* data, std::size_t size, const std::string& name);

  // The whole image, divided by `scale_denominator` (1, 2, 4 or 8; JPEG only, PNG ignores it and
  // reports 1) in the DCT domain: each output side is ceil(side / denominator).
  DecodedImage decode(const uint8_t* data, std::size_t size, const std::string& name,
                      int scale_denominator = 1);

  // Only the part of an image around the rectangle [x, x + width) x [y, y + height) of the
  // file's pixels, at 1/`scale_denominator`: for a JPEG, rows above the rectangle skip the inverse
  // DCT, rows below are never decoded and columns outside are cut on the iMCU grid
  // (JpegRegionDecoder); anything else decodes whole.
  DecodedRegion decode_region(const uint8_t* data, std::size_t size, const std::string& name,
                              int64_t x, int64_t y, int64_t width, int64_t height,
                              int scale_denominator);

  // The largest denominator in {1, 2, 4, 8} that keeps a `region_width` x `region_height` region
  // of the file at least `target_width` x `target_height` pixels once scaled (so resizing the
  // scaled region to the target never upsamples more than the full-size decode would).
  static int scale_for(int64_t region_width, int64_t region_height, int64_t target_width,
                       int64_t target_height);

 private:
  DecodedImage decode_jpeg(const uint8_t* data, std::size_t size, const std::string& name,
                           int scale_denominator);
  void read_jpeg_header(const uint8_t* data, std::size_t size, const std::string& name, int& width,
                        int& height, int& subsampling, int& colorspace);
  // Throws DataError(context + TurboJPEG's message) after replacing the handle.
  [[noreturn]] void fail(const std::string& context);
  void* handle_ = nullptr;                             // tjhandle
  std::unique_ptr<JpegRegionDecoder> region_decoder_;  // created on first use
};

}  // namespace fct::data
