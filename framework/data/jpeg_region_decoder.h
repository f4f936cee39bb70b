// JpegRegionDecoder: decodes only the part of a JPEG a crop needs, through libjpeg-turbo's own
// API (TurboJPEG 2.1 has no partial decode): jpeg_crop_scanline limits every row to the crop's
// columns (rounded out to the iMCU grid), jpeg_skip_scanlines passes the rows above the crop
// without inverse DCT or colour conversion, and decoding stops after the crop's last row, so the
// rows below are not even entropy-decoded. DCT-domain scaling (1/2, 1/4, 1/8) combines with it.
// Warnings (a truncated file) are counted, errors become DataError naming the file. One per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "framework/data/image_decoder.h"

namespace fct::data {

class JpegRegionDecoder {
 public:
  JpegRegionDecoder();
  ~JpegRegionDecoder();
  JpegRegionDecoder(const JpegRegionDecoder&) = delete;
  JpegRegionDecoder& operator=(const JpegRegionDecoder&) = delete;

  // The file's pixels [x, x + width) x [y, y + height) (clamped to the image, widened to the
  // decoder's grid) at 1/`scale_denominator`, as RGB. Grey becomes RGB; CMYK/YCCK (Adobe,
  // inverted) too.
  DecodedRegion decode(const uint8_t* data, std::size_t size, const std::string& name, int64_t x,
                       int64_t y, int64_t width, int64_t height, int scale_denominator);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace fct::data
