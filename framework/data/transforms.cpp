#include "framework/data/transforms.h"

#include <algorithm>
#include <cmath>

#include "framework/core/error.h"

namespace fct::data {
namespace {

uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A crop box in input coordinates (may extend past the image: those pixels are zero).
struct Box {
  double top = 0;
  double left = 0;
  double height = 0;
  double width = 0;
};

// torchvision's RandomResizedCrop.get_params: ten tries at a box of the drawn area and aspect
// ratio that fits, then the largest centred box of an allowed ratio.
Box random_resized_box(const TransformOptions& o, SampleRng& rng, int64_t h, int64_t w) {
  const double area = static_cast<double>(h) * static_cast<double>(w);
  const double log_lo = std::log(o.ratio_min);
  const double log_hi = std::log(o.ratio_max);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * rng.uniform(o.scale_min, o.scale_max);
    const double ratio = std::exp(rng.uniform(log_lo, log_hi));
    const auto cw = static_cast<int64_t>(std::lround(std::sqrt(target * ratio)));
    const auto ch = static_cast<int64_t>(std::lround(std::sqrt(target / ratio)));
    if (cw > 0 && ch > 0 && cw <= w && ch <= h) {
      const int64_t top = rng.integer(0, h - ch);
      const int64_t left = rng.integer(0, w - cw);
      return {static_cast<double>(top), static_cast<double>(left), static_cast<double>(ch),
              static_cast<double>(cw)};
    }
  }
  const double in_ratio = static_cast<double>(w) / static_cast<double>(h);
  double cw = static_cast<double>(w), ch = static_cast<double>(h);
  if (in_ratio < o.ratio_min) {
    ch = std::round(cw / o.ratio_min);
  } else if (in_ratio > o.ratio_max) {
    cw = std::round(ch * o.ratio_max);
  }
  return {std::floor((h - ch) / 2), std::floor((w - cw) / 2), ch, cw};
}

}  // namespace

SampleRng::SampleRng(uint64_t seed, int64_t epoch, int64_t sample_id) : state_(seed) {
  // Mix each key part through the generator so nearby keys give unrelated streams.
  state_ = splitmix(state_) ^ static_cast<uint64_t>(epoch);
  state_ = splitmix(state_) ^ static_cast<uint64_t>(sample_id);
  state_ = splitmix(state_);
}

uint64_t SampleRng::next_u64() {
  return splitmix(state_);
}

double SampleRng::uniform() {
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

double SampleRng::uniform(double low, double high) {
  return low + (high - low) * uniform();
}

int64_t SampleRng::integer(int64_t low, int64_t high) {
  if (high <= low) return low;
  const auto span = static_cast<uint64_t>(high - low) + 1;
  return low + static_cast<int64_t>(next_u64() % span);  // bias ~span/2^64: irrelevant here
}

bool SampleRng::bernoulli(double p) {
  return uniform() < p;
}

Normalization dataset_normalization(const std::string& dataset_name) {
  // Pixel statistics of each dataset's training split, in [0, 1].
  if (dataset_name == "fashion_mnist") return {{0.2860f}, {0.3530f}};
  if (dataset_name == "imagenet" || dataset_name == "places365" || dataset_name == "vggface2")
    return {{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}};
  throw DataError("no normalisation statistics for dataset '" + dataset_name +
                  "'; known: fashion_mnist, imagenet, places365, vggface2");
}

Transform::Transform(TransformOptions options) : options_(std::move(options)) {
  const auto& n = options_.normalization;
  if (n.mean.empty() || n.mean.size() != n.std.size())
    throw Error("transform: normalisation needs one mean and one std per channel");
  for (float s : n.std)
    if (!(s > 0.0f)) throw Error("transform: normalisation std must be positive");
  if (options_.output_size < 0 || options_.pad < 0)
    throw Error("transform: output_size and pad must be non-negative");
  if (options_.random_resized_crop &&
      !(options_.scale_min > 0 && options_.scale_min <= options_.scale_max &&
        options_.scale_max <= 1.0 && options_.ratio_min > 0 &&
        options_.ratio_min <= options_.ratio_max))
    throw Error("transform: invalid random resized crop scale or ratio range");
}

bool Transform::is_random() const {
  const auto& o = options_;
  return o.random_crop || o.hflip_probability > 0 || o.random_resized_crop || o.brightness > 0 ||
         o.contrast > 0;
}

std::pair<int64_t, int64_t> Transform::output_size(int64_t height, int64_t width) const {
  if (options_.output_size > 0) return {options_.output_size, options_.output_size};
  return {height, width};
}

void Transform::apply(const RawImage& image, SampleRng& rng, float* out) const {
  const torch::Tensor& pixels = image.pixels;
  if (!pixels.defined() || pixels.dim() != 3 || pixels.scalar_type() != torch::kUInt8)
    throw Error("transform: expected a uint8 image [H, W, C], found " +
                (pixels.defined() ? std::string(toString(pixels.scalar_type())) + " of rank " +
                                        std::to_string(pixels.dim())
                                  : std::string("no tensor")));
  const torch::Tensor source = pixels.is_contiguous() ? pixels : pixels.contiguous();
  const int64_t h = source.size(0), w = source.size(1), c = source.size(2);
  const auto& o = options_;
  const auto channels = static_cast<int64_t>(o.normalization.mean.size());
  if (channels != c && channels != 1)
    throw Error("transform: image has " + std::to_string(c) + " channels, the normalisation " +
                std::to_string(channels));
  const auto [oh, ow] = output_size(h, w);
  const uint8_t* src = source.data_ptr<uint8_t>();
  const int64_t plane = oh * ow;

  // Random draws in a fixed order: geometry, flip, colour.
  Box box{0, 0, static_cast<double>(h), static_cast<double>(w)};
  bool resample = false;
  if (o.random_resized_crop) {
    box = random_resized_box(o, rng, h, w);
    resample = true;
  } else {
    // Crop of the output size from the zero-padded image; without random_crop, the centre crop.
    const int64_t span_y = h + 2 * o.pad - oh, span_x = w + 2 * o.pad - ow;
    const int64_t ty = o.random_crop ? rng.integer(0, std::max<int64_t>(span_y, 0)) : span_y / 2;
    const int64_t tx = o.random_crop ? rng.integer(0, std::max<int64_t>(span_x, 0)) : span_x / 2;
    box = {static_cast<double>(ty - o.pad), static_cast<double>(tx - o.pad),
           static_cast<double>(oh), static_cast<double>(ow)};
  }
  const bool flip = o.hflip_probability > 0 && rng.bernoulli(o.hflip_probability);
  const double brightness =
      o.brightness > 0 ? rng.uniform(std::max(0.0, 1.0 - o.brightness), 1.0 + o.brightness) : 1.0;
  const double contrast =
      o.contrast > 0 ? rng.uniform(std::max(0.0, 1.0 - o.contrast), 1.0 + o.contrast) : 1.0;

  constexpr float kScale = 1.0f / 255.0f;
  if (!resample) {
    // Integer crop: each output pixel is one input pixel or padding (zero).
    const auto top = static_cast<int64_t>(box.top), left = static_cast<int64_t>(box.left);
    for (int64_t ch = 0; ch < c; ++ch) {
      float* dst = out + ch * plane;
      for (int64_t y = 0; y < oh; ++y) {
        const int64_t sy = top + y;
        float* row = dst + y * ow;
        if (sy < 0 || sy >= h) {
          std::fill(row, row + ow, 0.0f);
          continue;
        }
        const uint8_t* srow = src + sy * w * c + ch;
        for (int64_t x = 0; x < ow; ++x) {
          const int64_t sx = left + (flip ? ow - 1 - x : x);
          row[x] = (sx < 0 || sx >= w) ? 0.0f : static_cast<float>(srow[sx * c]) * kScale;
        }
      }
    }
  } else {
    // Bilinear resize of the box to the output size (half-pixel centres, edges clamped).
    const double sy_scale = box.height / static_cast<double>(oh);
    const double sx_scale = box.width / static_cast<double>(ow);
    for (int64_t y = 0; y < oh; ++y) {
      const double fy = std::clamp(box.top + (y + 0.5) * sy_scale - 0.5, 0.0, double(h - 1));
      const auto y0 = static_cast<int64_t>(fy);
      const int64_t y1 = std::min(y0 + 1, h - 1);
      const auto wy = static_cast<float>(fy - y0);
      for (int64_t x = 0; x < ow; ++x) {
        const int64_t xs = flip ? ow - 1 - x : x;
        const double fx = std::clamp(box.left + (xs + 0.5) * sx_scale - 0.5, 0.0, double(w - 1));
        const auto x0 = static_cast<int64_t>(fx);
        const int64_t x1 = std::min(x0 + 1, w - 1);
        const auto wx = static_cast<float>(fx - x0);
        for (int64_t ch = 0; ch < c; ++ch) {
          const float a = src[(y0 * w + x0) * c + ch], b = src[(y0 * w + x1) * c + ch];
          const float d = src[(y1 * w + x0) * c + ch], e = src[(y1 * w + x1) * c + ch];
          const float top_v = a + (b - a) * wx, bottom_v = d + (e - d) * wx;
          out[ch * plane + y * ow + x] = (top_v + (bottom_v - top_v) * wy) * kScale;
        }
      }
    }
  }

  const int64_t total = c * plane;
  if (brightness != 1.0 || contrast != 1.0) {
    const auto b = static_cast<float>(brightness);
    for (int64_t i = 0; i < total; ++i) out[i] = std::min(out[i] * b, 1.0f);
    if (contrast != 1.0) {
      // Blend with the mean grey level, as torchvision's adjust_contrast.
      double mean = 0.0;
      if (c == 3) {
        for (int64_t i = 0; i < plane; ++i)
          mean += 0.299 * out[i] + 0.587 * out[plane + i] + 0.114 * out[2 * plane + i];
        mean /= static_cast<double>(plane);
      } else {
        for (int64_t i = 0; i < total; ++i) mean += out[i];
        mean /= static_cast<double>(total);
      }
      const auto m = static_cast<float>(mean), k = static_cast<float>(contrast);
      for (int64_t i = 0; i < total; ++i) out[i] = std::clamp((out[i] - m) * k + m, 0.0f, 1.0f);
    }
  }
  for (int64_t ch = 0; ch < c; ++ch) {
    const std::size_t n = channels == 1 ? 0 : static_cast<std::size_t>(ch);
    const float mean = o.normalization.mean[n], inv_std = 1.0f / o.normalization.std[n];
    float* dst = out + ch * plane;
    for (int64_t i = 0; i < plane; ++i) dst[i] = (dst[i] - mean) * inv_std;
  }
}

torch::Tensor Transform::operator()(const RawImage& image, uint64_t seed, int64_t epoch,
                                    int64_t sample_id) const {
  if (!image.pixels.defined() || image.pixels.dim() != 3)
    throw Error("transform: expected an image [H, W, C]");
  const auto [oh, ow] = output_size(image.pixels.size(0), image.pixels.size(1));
  torch::Tensor out = torch::empty({image.pixels.size(2), oh, ow}, torch::kFloat32);
  SampleRng rng(seed, epoch, sample_id);
  apply(image, rng, out.data_ptr<float>());
  return out;
}

Transform eval_transform(const std::string& dataset_name) {
  TransformOptions options;
  options.normalization = dataset_normalization(dataset_name);
  return Transform(std::move(options));
}

Transform train_transform(const std::string& dataset_name, bool augment) {
  TransformOptions options;
  options.normalization = dataset_normalization(dataset_name);
  if (augment) {
    options.pad = 2;
    options.random_crop = true;
    options.hflip_probability = 0.5;
  }
  return Transform(std::move(options));
}

Transform simclr_transform(const std::string& dataset_name, int64_t output_size) {
  TransformOptions options;
  options.normalization = dataset_normalization(dataset_name);
  options.output_size = output_size;
  options.random_resized_crop = true;
  options.scale_min = 0.2;
  options.hflip_probability = 0.5;
  options.brightness = 0.4;
  options.contrast = 0.4;
  return Transform(std::move(options));
}

}  // namespace fct::data
