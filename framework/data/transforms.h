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

#include "framework/data/dataset.h"

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

// Per-channel mean and standard deviation of pixel values in [0, 1].
struct Normalization {
  std::vector<float> mean;
  std::vector<float> std;
};

// The normalisation of a dataset by registry name (fashion_mnist: mean 0.2860, std 0.3530).
Normalization dataset_normalization(const std::string& dataset_name);

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
  // Colour jitter: factors drawn from [max(0, 1 - x), 1 + x]; 0 = off.
  double brightness = 0.0;
  double contrast = 0.0;
};

class Transform {
 public:
  explicit Transform(TransformOptions options);

  // Whether the output depends on the random stream (false: an evaluation transform).
  bool is_random() const;
  // Output (height, width) for an input image of `height` x `width`.
  std::pair<int64_t, int64_t> output_size(int64_t height, int64_t width) const;
  // Writes the transformed image, float [C, H_out, W_out] contiguous, to `out`. Throws fct::Error
  // for an image of the wrong dtype, rank or channel count.
  void apply(const RawImage& image, SampleRng& rng, float* out) const;
  // The same into a new tensor, with the random stream of (seed, epoch, sample_id).
  torch::Tensor operator()(const RawImage& image, uint64_t seed, int64_t epoch,
                           int64_t sample_id) const;

  const TransformOptions& options() const { return options_; }

 private:
  TransformOptions options_;
};

// Normalisation only.
Transform eval_transform(const std::string& dataset_name);
// Training transform: with `augment`, random crop from the image zero-padded by 2 pixels and a
// horizontal flip with probability 0.5 (the light augmentation for small grey images); without,
// the evaluation transform.
Transform train_transform(const std::string& dataset_name, bool augment);
// A SimCLR view for small images: random resized crop (scale 0.2..1) to `output_size` (0 = each
// image's own size), flip, brightness and contrast jitter 0.4.
Transform simclr_transform(const std::string& dataset_name, int64_t output_size = 0);

}  // namespace fct::data
