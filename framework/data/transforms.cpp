#include "framework/data/transforms.h"

#include <algorithm>
#include <cmath>

#include "framework/core/error.h"
#include "framework/data/dataset_registry.h"
#include "framework/data/image_file_dataset.h"

namespace fct::data {
namespace {

uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// torchvision's RandomResizedCrop.get_params: ten tries at a box of the drawn area and aspect
// ratio that fits, then the largest centred box of an allowed ratio.
CropBox random_resized_box(const TransformOptions& o, SampleRng& rng, int64_t h, int64_t w) {
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

std::pair<int64_t, int64_t> Transform::output_size(int64_t height, int64_t width) const {
  if (options_.output_size > 0) return {options_.output_size, options_.output_size};
  return {height, width};
}

Transform::Draw Transform::draw(int64_t h, int64_t w, SampleRng& rng) const {
  const auto& o = options_;
  const auto [oh, ow] = output_size(h, w);
  // Random draws in a fixed order: geometry, flip, colour. Options that are off draw nothing, so
  // adding an augmentation leaves the streams of the others unchanged.
  Draw d;
  d.box = {0, 0, static_cast<double>(h), static_cast<double>(w)};
  if (o.random_resized_crop) {
    d.box = random_resized_box(o, rng, h, w);
    d.resample = true;
  } else if (o.center_crop_fraction > 0) {
    // torchvision's Resize(s / f) + CenterCrop(s) in one step: the centred square whose side is
    // the fraction f of the shorter side, resampled to the output.
    const double side = o.center_crop_fraction * static_cast<double>(std::min(h, w));
    d.box = {(static_cast<double>(h) - side) / 2, (static_cast<double>(w) - side) / 2, side, side};
    d.resample = true;
  } else {
    // Crop of the output size from the zero-padded image; without random_crop, the centre crop.
    const int64_t span_y = h + 2 * o.pad - oh, span_x = w + 2 * o.pad - ow;
    const int64_t ty = o.random_crop ? rng.integer(0, std::max<int64_t>(span_y, 0)) : span_y / 2;
    const int64_t tx = o.random_crop ? rng.integer(0, std::max<int64_t>(span_x, 0)) : span_x / 2;
    d.box = {static_cast<double>(ty - o.pad), static_cast<double>(tx - o.pad),
             static_cast<double>(oh), static_cast<double>(ow)};
  }
  d.flip = o.hflip_probability > 0 && rng.bernoulli(o.hflip_probability);
  d.brightness =
      o.brightness > 0 ? rng.uniform(std::max(0.0, 1.0 - o.brightness), 1.0 + o.brightness) : 1.0;
  d.contrast =
      o.contrast > 0 ? rng.uniform(std::max(0.0, 1.0 - o.contrast), 1.0 + o.contrast) : 1.0;
  d.saturation =
      o.saturation > 0 ? rng.uniform(std::max(0.0, 1.0 - o.saturation), 1.0 + o.saturation) : 1.0;
  d.grey = o.grayscale_probability > 0 && rng.bernoulli(o.grayscale_probability);
  return d;
}

std::pair<CropBox, bool> Transform::draw_geometry(int64_t height, int64_t width,
                                                  SampleRng& rng) const {
  const Draw d = draw(height, width, rng);
  return {d.box, d.flip};
}

void Transform::check_channels(int64_t c) const {
  const auto channels = static_cast<int64_t>(options_.normalization.mean.size());
  if (channels != c && channels != 1)
    throw Error("transform: image has " + std::to_string(c) + " channels, the normalisation " +
                std::to_string(channels));
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
  check_channels(c);
  const Draw d = draw(h, w, rng);
  const auto [oh, ow] = output_size(h, w);
  render(source.data_ptr<uint8_t>(), h, w, c, d, oh, ow, out);
}

EncodedResult Transform::apply_encoded(ImageDecoder& decoder, const EncodedImage& file,
                                       SampleRng& rng, float* out) const {
  const auto* data = reinterpret_cast<const uint8_t*>(file.bytes.data());
  const ImageHeader header = decoder.header(data, file.bytes.size(), file.path);
  const PixelRect region = clamp_region(file.region, header.width, header.height);
  const int64_t h = region.height(), w = region.width();
  const auto [oh, ow] = output_size(h, w);
  check_channels(3);

  // Geometry is drawn on the sample at full resolution, so the sample is the same crop whichever
  // scale the file is decoded at.
  Draw d = draw(h, w, rng);
  int denominator = 1;
  if (d.resample && options_.dct_scaling)
    denominator = ImageDecoder::scale_for(static_cast<int64_t>(d.box.width),
                                          static_cast<int64_t>(d.box.height), ow, oh);
  // The decoded image covers [x, x + width) x [y, y + height) of the file's pixels.
  DecodedRegion covered;
  const double crop_share =
      d.box.width * d.box.height /
      (static_cast<double>(header.width) * static_cast<double>(header.height));
  if (d.resample && crop_share < options_.region_decode_below) {
    // Two pixels of margin around the box keep the bilinear taps of its edges inside (the
    // decoder clamps the rectangle to the image).
    covered = decoder.decode_region(data, file.bytes.size(), file.path,
                                    static_cast<int64_t>(std::floor(d.box.left)) + region.x0 - 2,
                                    static_cast<int64_t>(std::floor(d.box.top)) + region.y0 - 2,
                                    static_cast<int64_t>(std::ceil(d.box.width)) + 4,
                                    static_cast<int64_t>(std::ceil(d.box.height)) + 4, denominator);
  } else {
    covered = {decoder.decode(data, file.bytes.size(), file.path, denominator), 0, 0, header.width,
               header.height};
  }
  const DecodedImage& decoded = covered.decoded;
  const torch::Tensor& pixels = decoded.image.pixels;
  const int64_t dh = pixels.size(0), dw = pixels.size(1);
  // Region and box into the decoded image's pixels: pixel i of an image decoded at 1/d covers the
  // file's pixels [i d, (i + 1) d) (a partial last pixel makes the side ceil(side / d)).
  // (A PNG has no DCT scaling: it comes back at full size, denominator 1.)
  denominator = decoded.scale_denominator;
  const double sy = 1.0 / denominator, sx = sy;
  if (!d.resample) {
    // Integer crops (padding augmentation) need the region as its own image.
    torch::Tensor crop = pixels;
    if (h != dh || w != dw)
      crop = pixels.slice(0, region.y0, region.y1).slice(1, region.x0, region.x1).contiguous();
    render(crop.data_ptr<uint8_t>(), h, w, 3, d, oh, ow, out);
  } else {
    d.box.top = (d.box.top + static_cast<double>(region.y0 - covered.y)) * sy;
    d.box.left = (d.box.left + static_cast<double>(region.x0 - covered.x)) * sx;
    d.box.height *= sy;
    d.box.width *= sx;
    render(pixels.data_ptr<uint8_t>(), dh, dw, 3, d, oh, ow, out);
  }
  return {decoded.truncated, denominator};
}

void Transform::render(const uint8_t* src, int64_t h, int64_t w, int64_t c, const Draw& d,
                       int64_t oh, int64_t ow, float* out) const {
  const auto& o = options_;
  const auto channels = static_cast<int64_t>(o.normalization.mean.size());
  const int64_t plane = oh * ow;
  const CropBox& box = d.box;
  const bool flip = d.flip;

  constexpr float kScale = 1.0f / 255.0f;
  if (!d.resample) {
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
    // Bilinear resize of the box to the output size (half-pixel centres, edges clamped). The
    // column taps are the same for every row: computed once.
    const double sy_scale = box.height / static_cast<double>(oh);
    const double sx_scale = box.width / static_cast<double>(ow);
    std::vector<int64_t> x0s(static_cast<std::size_t>(ow)), x1s(static_cast<std::size_t>(ow));
    std::vector<float> wxs(static_cast<std::size_t>(ow));
    for (int64_t x = 0; x < ow; ++x) {
      const int64_t xs = flip ? ow - 1 - x : x;
      const double fx = std::clamp(box.left + (xs + 0.5) * sx_scale - 0.5, 0.0, double(w - 1));
      const auto x0 = static_cast<int64_t>(fx);
      x0s[x] = x0 * c;
      x1s[x] = std::min(x0 + 1, w - 1) * c;
      wxs[x] = static_cast<float>(fx - x0);
    }
    for (int64_t y = 0; y < oh; ++y) {
      const double fy = std::clamp(box.top + (y + 0.5) * sy_scale - 0.5, 0.0, double(h - 1));
      const auto y0 = static_cast<int64_t>(fy);
      const int64_t y1 = std::min(y0 + 1, h - 1);
      const auto wy = static_cast<float>(fy - y0);
      const uint8_t* row0 = src + y0 * w * c;
      const uint8_t* row1 = src + y1 * w * c;
      for (int64_t ch = 0; ch < c; ++ch) {
        float* dst = out + ch * plane + y * ow;
        for (int64_t x = 0; x < ow; ++x) {
          const int64_t i0 = x0s[x] + ch, i1 = x1s[x] + ch;
          const float wx = wxs[x];
          const float a = row0[i0], b = row0[i1], e = row1[i0], f = row1[i1];
          const float top_v = a + (b - a) * wx, bottom_v = e + (f - e) * wx;
          dst[x] = (top_v + (bottom_v - top_v) * wy) * kScale;
        }
      }
    }
  }

  const int64_t total = c * plane;
  if (d.brightness != 1.0 || d.contrast != 1.0) {
    const auto b = static_cast<float>(d.brightness);
    for (int64_t i = 0; i < total; ++i) out[i] = std::min(out[i] * b, 1.0f);
    if (d.contrast != 1.0) {
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
      const auto m = static_cast<float>(mean), k = static_cast<float>(d.contrast);
      for (int64_t i = 0; i < total; ++i) out[i] = std::clamp((out[i] - m) * k + m, 0.0f, 1.0f);
    }
  }
  if (c == 3 && (d.saturation != 1.0 || d.grey)) {
    // Saturation blends each pixel with its own grey level (torchvision's adjust_saturation);
    // grey-scale is saturation 0.
    const float k = d.grey ? 0.0f : static_cast<float>(d.saturation);
    for (int64_t i = 0; i < plane; ++i) {
      const float g = 0.299f * out[i] + 0.587f * out[plane + i] + 0.114f * out[2 * plane + i];
      for (int64_t ch = 0; ch < 3; ++ch) {
        float& v = out[ch * plane + i];
        v = std::clamp(g + (v - g) * k, 0.0f, 1.0f);
      }
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

Transform eval_transform(const config::DataConfig& data) {
  const DatasetFacts facts = dataset_facts(data.name);
  TransformOptions options;
  options.normalization = facts.normalization;
  if (facts.image_files) {
    options.output_size = data.image_size;
    options.center_crop_fraction = data.eval_crop_fraction;
  }
  return Transform(std::move(options));
}

Transform train_transform(const config::DataConfig& data) {
  if (!data.augment) return eval_transform(data);
  const DatasetFacts facts = dataset_facts(data.name);
  TransformOptions options;
  options.normalization = facts.normalization;
  options.hflip_probability = 0.5;
  if (facts.image_files) {
    options.output_size = data.image_size;
    options.random_resized_crop = true;
  } else {
    options.pad = 2;
    options.random_crop = true;
  }
  return Transform(std::move(options));
}

Transform simclr_transform(const config::DataConfig& data, int64_t output_size) {
  const DatasetFacts facts = dataset_facts(data.name);
  TransformOptions options;
  options.normalization = facts.normalization;
  options.output_size = output_size;
  options.random_resized_crop = true;
  options.scale_min = 0.2;
  options.hflip_probability = 0.5;
  options.brightness = 0.4;
  options.contrast = 0.4;
  if (facts.image_files) {
    // SimCLR's ImageNet recipe (hue jitter aside).
    if (output_size == 0) options.output_size = data.image_size;
    options.scale_min = 0.08;
    options.saturation = 0.4;
    options.grayscale_probability = 0.2;
  }
  return Transform(std::move(options));
}

}  // namespace fct::data
