// Real image files for the decoder and dataset tests, written by the same libraries real datasets
// were written by: TurboJPEG (baseline and progressive, 4:2:0, 4:4:4, grey, CMYK) and libpng.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace fct::testing {

// A smooth pattern with some edges, uint8 [height, width, channels]; different seeds differ.
torch::Tensor test_pattern(int64_t height, int64_t width, int64_t channels, uint64_t seed);

enum class Chroma { k420, k444, kGrey };

struct JpegOptions {
  int quality = 92;
  Chroma chroma = Chroma::k420;
  bool progressive = false;
};

// `pixels` uint8 [H, W, 3] (or [H, W, 1] with Chroma::kGrey).
std::vector<uint8_t> encode_jpeg(const torch::Tensor& pixels, const JpegOptions& options = {});
// `cmyk` uint8 [H, W, 4], stored as given (YCCK JPEG with an Adobe marker, as Photoshop writes).
std::vector<uint8_t> encode_cmyk_jpeg(const torch::Tensor& cmyk, int quality = 95);
// `pixels` uint8 [H, W, 3].
std::vector<uint8_t> encode_png(const torch::Tensor& pixels);

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes);

// Mean absolute difference of two uint8 images of the same shape.
double mean_abs_difference(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace fct::testing
