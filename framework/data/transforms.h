// Per-sample image transforms: uint8 [H, W, C] in, normalised float [C, H, W] out, written
// straight into a slice of the batch tensor. Randomness comes from a SampleRng seeded by
// (seed, epoch, sample id), so an augmented sample is the same whichever thread draws it and
// whether or not the run was resumed mid-way.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "framework/config/experiment_config.h"
#include "framework/data/dataset.h"
#include "framework/data/image_decoder.h"
#include "framework/data/normalization.h"

namespace fct::data {

// A small counter-free generator (SplitMix64) whose whole state is derived from the sample's key.
class SampleRng {
 public:
  SampleRng(uint64_t seed, int64_t epoch, int64_t sample_id);

  uint64_t next_u64();
  double uniform();                            // [0, 1)
  double uniform(double low, double high);     // [low, high)
  int64_t integer(int64_t low, int64_t high);  // uniform in [low, high], inclusive
  bool bernoulli(double p);

 private:
  uint64_t state_;
};

struct TransformOptions {
  Normalization normalization;
  // Output height = width; 0 keeps the input size.
  int64_t output_size = 0;
  // Light augmentation for small images: crop output_size from the image zero-padded by `pad`.
  int64_t pad = 0;
  bool random_crop = false;
  double hflip_probability = 0.0;
  // SimCLR-style view: random resized crop (scale of the area, aspect ratio), bilinear.
  bool random_resized_crop = false;
  double scale_min = 0.08;
  double scale_max = 1.0;
  double ratio_min = 3.0 / 4.0;
  double ratio_max = 4.0 / 3.0;
  // Evaluation crop of large images: torchvision's Resize(s / f) + CenterCrop(s) with s the
  // output size and f this fraction of the shorter side (0.875 = 224 of 256); 0 = off.
  double center_crop_fraction = 0.0;
  // Colour jitter: factors drawn from [max(0, 1 - x), 1 + x]; 0 = off.
  double brightness = 0.0;
  double contrast = 0.0;
  double saturation = 0.0;
  // Probability of turning the image grey (SimCLR's RandomGrayscale); 0 = off.
  double grayscale_probability = 0.0;
  // Image files: decode at 1/2, 1/4 or 1/8 scale when the crop allows (off only to measure it).
  bool dct_scaling = true;
  // Image files: decode only the crop's part of the JPEG (ImageDecoder::decode_region) when the
  // crop covers less than this share of the image (above 1: always); 0 = always decode all of it.
  double region_decode_below = 2.0;
};

// A crop box in input coordinates (may extend past the image: those pixels are zero).
struct CropBox {
  double top = 0;
  double left = 0;
  double height = 0;
  double width = 0;
};

// What apply_encoded met on the way.
struct EncodedResult {
  bool truncated = false;     // the JPEG was cut short; the pixels that decoded were used
  int scale_denominator = 1;  // the DCT-domain scale it was decoded at
};

class Transform {
 public:
  explicit Transform(TransformOptions options);

  // Output (height, width) for an input image of `height` x `width`.
  std::pair<int64_t, int64_t> output_size(int64_t height, int64_t width) const;
  // Writes the transformed image, float [C, H_out, W_out] contiguous, to `out`. Throws fct::Error
  // for an image of the wrong dtype, rank or channel count.
  void apply(const RawImage& image, SampleRng& rng, float* out) const;
  // The same for an image file: the crop is drawn from the header's size, then the file is decoded
  // at the smallest DCT scale that keeps the crop at least as large as the output (see
  // ImageDecoder::scale_for), so a 500x375 photograph cropped to 224x224 is mostly decoded at 1/2.
  // Output shape: output_size(region height, region width) with 3 channels. Throws DataError
  // naming the file when it does not decode.
  EncodedResult apply_encoded(ImageDecoder& decoder, const EncodedImage& file, SampleRng& rng,
                              float* out) const;
  // The crop box and flip that apply() draws first from `rng` for a height x width image (for
  // benchmarks that must do the same work another way).
  std::pair<CropBox, bool> draw_geometry(int64_t height, int64_t width, SampleRng& rng) const;
  // The same into a new tensor, with the random stream of (seed, epoch, sample_id).
  torch::Tensor operator()(const RawImage& image, uint64_t seed, int64_t epoch,
                           int64_t sample_id) const;

  const TransformOptions& options() const { return options_; }

 private:
  // The random draws of one sample, in the coordinates of the image it was drawn for.
  struct Draw {
    CropBox box;
    bool resample = false;  // bilinear resize of box (else an integer crop with zero padding)
    bool flip = false;
    double brightness = 1.0, contrast = 1.0, saturation = 1.0;
    bool grey = false;
  };
  Draw draw(int64_t height, int64_t width, SampleRng& rng) const;
  void render(const uint8_t* pixels, int64_t height, int64_t width, int64_t channels,
              const Draw& draw, int64_t out_height, int64_t out_width, float* out) const;
  void check_channels(int64_t channels) const;

  TransformOptions options_;
};

// Evaluation: small images are only normalised; image files are resized and centre-cropped to
// data.image_size (data.eval_crop_fraction of the shorter side).
Transform eval_transform(const config::DataConfig& data);
// Training with data.augment: small images get a random crop from the image zero-padded by 2
// pixels and a flip (p = 0.5); image files a random resized crop (scale 0.08-1) to data.image_size
// and a flip. Without augment, the evaluation transform.
Transform train_transform(const config::DataConfig& data);
// A SimCLR view: random resized crop (scale 0.2-1 for small images, 0.08-1 for image files) to
// `output_size` (0 = data.image_size for files, each image's own size for small images), flip,
// brightness, contrast (and for colour images saturation) jitter 0.4, grey-scale with p = 0.2
// for colour images.
Transform simclr_transform(const config::DataConfig& data, int64_t output_size = 0);

}  // namespace fct::data
