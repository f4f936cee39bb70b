#include "framework/data/jpeg_region_decoder.h"

// jpeglib.h needs FILE and size_t declared first.
#include <cstdio>
// clang-format off
#include <jpeglib.h>
// clang-format on

#include <algorithm>
#include <csetjmp>
#include <cstring>
#include <vector>

#include "framework/core/error.h"

namespace fct::data {
namespace {

// Note [libjpeg errors]: libjpeg reports a fatal error by calling error_exit, which must not
// return; we longjmp back to the setjmp of the stage that was running. Only C structs and plain
// locals live between setjmp and longjmp (a C++ destructor skipped by longjmp is undefined
// behaviour), so each stage is a function with POD locals writing into memory owned outside.
struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  int warnings;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void on_message(j_common_ptr cinfo, int level) {
  // level -1: a warning (corrupt or missing data); the decoder goes on with grey filler.
  if (level < 0) {
    auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
    if (err->warnings++ == 0) (*cinfo->err->format_message)(cinfo, err->message);
  }
}

// TurboJPEG's TJFLAG_LIMITSCANS for this API: a crafted progressive JPEG with thousands of scans
// would take minutes per decode. Real progressive files have about ten.
constexpr int kMaxScans = 500;

struct ScanLimit {
  jpeg_progress_mgr pub;
  ErrorManager* err;
};

void check_scans(j_common_ptr cinfo) {
  auto* limit = reinterpret_cast<ScanLimit*>(cinfo->progress);
  const auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (cinfo->is_decompressor && d->input_scan_number > kMaxScans) {
    std::snprintf(limit->err->message, sizeof limit->err->message, "more than %d progressive scans",
                  kMaxScans);
    std::longjmp(limit->err->jump, 1);
  }
}

struct Plan {
  // In: the requested region of the full-resolution image and the scale.
  int64_t x = 0, y = 0, width = 0, height = 0;
  int denominator = 1;
  // Out: the image's full size, and the decoded block in output (scaled) pixels.
  int64_t image_width = 0, image_height = 0;
  JDIMENSION out_x = 0, out_y = 0, out_width = 0, out_height = 0;
  JDIMENSION scaled_height = 0;  // rows of the whole image at this scale
  int components = 3;
  bool cmyk = false;
};

// Stage 1: header, scale, start, column crop, rows skipped. Returns false on a libjpeg error.
bool begin(jpeg_decompress_struct* cinfo, ErrorManager* err, const uint8_t* data, std::size_t size,
           Plan* plan) {
  if (setjmp(err->jump)) return false;
  jpeg_mem_src(cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(cinfo, TRUE);
  plan->image_width = cinfo->image_width;
  plan->image_height = cinfo->image_height;
  plan->cmyk = cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK;
  cinfo->out_color_space = plan->cmyk ? JCS_CMYK : JCS_RGB;
  cinfo->scale_num = 1;
  cinfo->scale_denom = static_cast<unsigned int>(plan->denominator);
  jpeg_start_decompress(cinfo);
  plan->components = cinfo->output_components;
  plan->scaled_height = cinfo->output_height;
  // The region in output pixels: pixel i at 1/d covers full-resolution pixels [i d, (i + 1) d).
  const auto d = static_cast<int64_t>(plan->denominator);
  const auto out_w = static_cast<int64_t>(cinfo->output_width);
  const auto out_h = static_cast<int64_t>(cinfo->output_height);
  const int64_t x0 = std::clamp<int64_t>(plan->x / d, 0, out_w - 1);
  const int64_t y0 = std::clamp<int64_t>(plan->y / d, 0, out_h - 1);
  const int64_t x1 = std::clamp<int64_t>((plan->x + plan->width + d - 1) / d, x0 + 1, out_w);
  const int64_t y1 = std::clamp<int64_t>((plan->y + plan->height + d - 1) / d, y0 + 1, out_h);
  auto crop_x = static_cast<JDIMENSION>(x0);
  auto crop_w = static_cast<JDIMENSION>(x1 - x0);
  if (crop_w < cinfo->output_width) jpeg_crop_scanline(cinfo, &crop_x, &crop_w);  // widens
  plan->out_x = crop_x;
  plan->out_width = crop_w;
  plan->out_y = static_cast<JDIMENSION>(y0);
  plan->out_height = static_cast<JDIMENSION>(y1 - y0);
  if (y0 > 0) jpeg_skip_scanlines(cinfo, static_cast<JDIMENSION>(y0));
  return true;
}

// Stage 2: the region's rows into `pixels` (out_width * components bytes per row).
bool read_rows(jpeg_decompress_struct* cinfo, ErrorManager* err, const Plan* plan,
               uint8_t* pixels) {
  if (setjmp(err->jump)) return false;
  const std::size_t stride = static_cast<std::size_t>(plan->out_width) * plan->components;
  for (JDIMENSION row = 0; row < plan->out_height;) {
    JSAMPROW target = pixels + row * stride;
    const JDIMENSION got = jpeg_read_scanlines(cinfo, &target, 1);
    if (got == 0) break;  // suspension cannot happen with a memory source; be safe anyway
    row += got;
  }
  // The rows below the crop are not wanted: stop without decoding them.
  jpeg_abort_decompress(cinfo);
  return true;
}

bool ends_with_eoi(const uint8_t* data, std::size_t size) {
  std::size_t end = size;
  // Some writers pad after EOI; a few bytes of zeros or whitespace are not a cut.
  for (int k = 0; k < 16 && end > 0 &&
                  (data[end - 1] == 0 || data[end - 1] == '\n' || data[end - 1] == '\r' ||
                   data[end - 1] == ' ');
       ++k)
    --end;
  return end >= 2 && data[end - 2] == 0xFF && data[end - 1] == 0xD9;
}

}  // namespace

struct JpegRegionDecoder::State {
  jpeg_decompress_struct cinfo{};
  ErrorManager err{};
  ScanLimit scan_limit{};
  std::vector<uint8_t> cmyk;  // reused between files
};

JpegRegionDecoder::JpegRegionDecoder() : state_(std::make_unique<State>()) {
  state_->cinfo.err = jpeg_std_error(&state_->err.pub);
  state_->err.pub.error_exit = on_error;
  state_->err.pub.emit_message = on_message;
  if (setjmp(state_->err.jump)) throw Error("libjpeg: cannot create a decompressor");
  jpeg_create_decompress(&state_->cinfo);
  state_->scan_limit.pub.progress_monitor = check_scans;
  state_->scan_limit.err = &state_->err;
  state_->cinfo.progress = &state_->scan_limit.pub;
}

JpegRegionDecoder::~JpegRegionDecoder() {
  jpeg_destroy_decompress(&state_->cinfo);
}

DecodedRegion JpegRegionDecoder::decode(const uint8_t* data, std::size_t size,
                                        const std::string& name, int64_t x, int64_t y,
                                        int64_t width, int64_t height, int scale_denominator) {
  if (scale_denominator != 1 && scale_denominator != 2 && scale_denominator != 4 &&
      scale_denominator != 8)
    throw Error("jpeg region decoder: scale denominator must be 1, 2, 4 or 8");
  auto& s = *state_;
  s.err.warnings = 0;
  s.err.message[0] = '\0';
  Plan plan;
  plan.x = x;
  plan.y = y;
  plan.width = std::max<int64_t>(width, 1);
  plan.height = std::max<int64_t>(height, 1);
  plan.denominator = scale_denominator;
  const auto failed = [&]() -> DataError {
    jpeg_abort_decompress(&s.cinfo);  // ready for the next file
    return DataError(name + ": JPEG does not decode: " + s.err.message);
  };
  if (!begin(&s.cinfo, &s.err, data, size, &plan)) throw failed();
  // The same limit as the whole-file decoder: a hostile header must not exhaust memory.
  if (plan.image_width <= 0 || plan.image_height <= 0 ||
      plan.image_width * plan.image_height > (int64_t{1} << 27)) {
    jpeg_abort_decompress(&s.cinfo);
    throw DataError(name + ": image of " + std::to_string(plan.image_width) + " x " +
                    std::to_string(plan.image_height) + " pixels is empty or too large to decode");
  }

  DecodedRegion out;
  out.decoded.scale_denominator = scale_denominator;
  const auto rows = static_cast<int64_t>(plan.out_height);
  const auto cols = static_cast<int64_t>(plan.out_width);
  out.decoded.image.pixels = torch::empty({rows, cols, 3}, torch::kUInt8);
  uint8_t* target = out.decoded.image.pixels.data_ptr<uint8_t>();
  if (plan.cmyk) {
    s.cmyk.resize(static_cast<std::size_t>(rows * cols * 4));
    target = s.cmyk.data();
  }
  if (!read_rows(&s.cinfo, &s.err, &plan, target)) throw failed();
  if (plan.cmyk)
    cmyk_to_rgb(s.cmyk.data(), rows * cols, out.decoded.image.pixels.data_ptr<uint8_t>());
  // Decoding stopped at the crop's last row cannot meet a cut-off end: a file that does not end in
  // an EOI marker (FF D9, before any padding) is taken to be truncated too, so that a truncated
  // file is counted whichever part of it a crop needed.
  const bool stopped_early = plan.out_y + plan.out_height < plan.scaled_height;
  out.decoded.truncated = s.err.warnings > 0 || (stopped_early && !ends_with_eoi(data, size));
  const int64_t d = scale_denominator;
  out.x = static_cast<int64_t>(plan.out_x) * d;
  out.y = static_cast<int64_t>(plan.out_y) * d;
  out.width = std::min<int64_t>(cols * d, plan.image_width - out.x);
  out.height = std::min<int64_t>(rows * d, plan.image_height - out.y);
  return out;
}

}  // namespace fct::data
