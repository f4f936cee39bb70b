// Input-pipeline throughput on one core: decode + random-resized-crop (224) + flip + normalise of
// ImageNet-like JPEGs (about 500x375, quality 90 4:2:0 and quality 96 4:4:4) made from real
// photographs, by fct (TurboJPEG with DCT-domain scaling, optionally decoding only the crop) and
// by the same work done with OpenCV (cv::imdecode + cv::resize), measured in the same run on the
// same images and the same crops. Prints JSON.
#include <turbojpeg.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "framework/core/allocator_tuning.h"
#include "framework/data/image_decoder.h"
#include "framework/data/transforms.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace data = fct::data;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The photograph as ImageNet stores one: the shorter side 375, the longer 500 (cropped to 4:3).
cv::Mat imagenet_like(const cv::Mat& photo) {
  const bool landscape = photo.cols >= photo.rows;
  const int w = landscape ? 500 : 375, h = landscape ? 375 : 500;
  const double scale =
      std::max(static_cast<double>(w) / photo.cols, static_cast<double>(h) / photo.rows);
  cv::Mat resized;
  cv::resize(photo, resized, cv::Size(), scale, scale, cv::INTER_AREA);
  const int x = (resized.cols - w) / 2, y = (resized.rows - h) / 2;
  return resized(cv::Rect(x, y, w, h)).clone();
}

std::string encode(const cv::Mat& rgb, int quality, int subsampling) {
  tjhandle handle = tjInitCompress();
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  if (tjCompress2(handle, rgb.data, rgb.cols, static_cast<int>(rgb.step), rgb.rows, TJPF_RGB,
                  &buffer, &size, subsampling, quality, 0) != 0)
    throw std::runtime_error(std::string("encode: ") + tjGetErrorStr2(handle));
  std::string bytes(reinterpret_cast<const char*>(buffer), size);
  tjFree(buffer);
  tjDestroy(handle);
  return bytes;
}

// The same output fct writes: normalised float CHW, from OpenCV's decode, crop, resize and flip.
void opencv_sample(const data::Transform& transform, const std::string& bytes, uint64_t key,
                   float* out) {
  const cv::Mat encoded(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
  cv::Mat bgr = cv::imdecode(encoded, cv::IMREAD_COLOR);
  data::SampleRng rng(0, 0, static_cast<int64_t>(key));
  const auto [box, flip] = transform.draw_geometry(bgr.rows, bgr.cols, rng);
  const cv::Rect rect(static_cast<int>(box.left), static_cast<int>(box.top),
                      std::max(1, static_cast<int>(box.width)),
                      std::max(1, static_cast<int>(box.height)));
  const int size = static_cast<int>(transform.options().output_size);
  cv::Mat resized;
  cv::resize(bgr(rect), resized, cv::Size(size, size), 0, 0, cv::INTER_LINEAR);
  if (flip) cv::flip(resized, resized, 1);
  const auto& n = transform.options().normalization;
  const int plane = size * size;
  for (int y = 0; y < size; ++y) {
    const uint8_t* row = resized.ptr<uint8_t>(y);
    for (int x = 0; x < size; ++x)
      for (int c = 0; c < 3; ++c)  // BGR -> RGB planes
        out[c * plane + y * size + x] = (row[x * 3 + (2 - c)] / 255.0f - n.mean[c]) / n.std[c];
  }
}

struct Measurement {
  double images_per_s = 0;
  int64_t images = 0;
};

template <class Work>
Measurement measure(const std::vector<std::string>& files, double seconds, Work&& work) {
  // Warm-up pass, then whole passes over the set until the time is up.
  for (std::size_t i = 0; i < files.size(); ++i) work(i, i);
  Measurement m;
  const auto start = Clock::now();
  double elapsed = 0;
  uint64_t key = files.size();
  do {
    for (std::size_t i = 0; i < files.size(); ++i) work(i, key++);
    m.images += static_cast<int64_t>(files.size());
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  m.images_per_s = static_cast<double>(m.images) / elapsed;
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  fct::tune_allocator();  // as the fct command does (Note [Allocator])
  CLI::App app("decode + random-resized-crop + flip throughput, fct vs OpenCV, one core");
  std::string photos_dir;
  double seconds = 3.0;
  int64_t output_size = 224;
  double target = 3000.0;
  app.add_option("--photos", photos_dir, "folder of photographs (JPEG or PNG)")->required();
  app.add_option("--seconds", seconds, "measuring time per method and set");
  app.add_option("--output-size", output_size, "crop side");
  app.add_option("--target", target, "images/s one GPU trains at (ResNet-50)");
  CLI11_PARSE(app, argc, argv);
  cv::setNumThreads(1);

  std::vector<cv::Mat> photos;
  std::vector<std::string> names;
  // The photographs among the packages' images (the others are drawings, text and microscopy).
  const std::vector<std::string> wanted{
      "astronaut.png", "brick.png",  "camera.png",          "chelsea.png",
      "china.jpg",     "coffee.png", "flower.jpg",          "grass.png",
      "gravel.png",    "rocket.jpg", "motorcycle_left.png", "hubble_deep_field.jpg"};
  for (const auto& file : wanted) {
    const std::filesystem::path entry = std::filesystem::path(photos_dir) / file;
    cv::Mat bgr = cv::imread(entry.string(), cv::IMREAD_COLOR);
    if (bgr.empty()) {
      std::cerr << "missing photograph " << entry << "\n";
      return 1;
    }
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    photos.push_back(imagenet_like(rgb));
    names.push_back(file);
  }
  if (photos.empty()) {
    std::cerr << "no photographs of at least 256 pixels in " << photos_dir << "\n";
    return 1;
  }
  std::sort(names.begin(), names.end());

  data::TransformOptions options;
  options.normalization = data::photograph_normalization();
  options.output_size = output_size;
  options.random_resized_crop = true;
  options.hflip_probability = 0.5;
  // fct as configured (crop-only decoding and DCT scaling), and with each of them off.
  auto whole_file = options;
  whole_file.region_decode_below = 0.0;
  auto plain = whole_file;
  plain.dct_scaling = false;
  const data::Transform fct_default(options), fct_whole(whole_file), fct_plain(plain);

  nlohmann::json sets = nlohmann::json::array();
  struct Set {
    const char* name;
    int quality;
    int subsampling;
  };
  for (const Set set : {Set{"q90_420", 90, TJSAMP_420}, Set{"q96_444", 96, TJSAMP_444}}) {
    std::vector<std::string> files;
    int64_t bytes = 0;
    for (const auto& p : photos) {
      files.push_back(encode(p, set.quality, set.subsampling));
      bytes += static_cast<int64_t>(files.back().size());
    }
    std::vector<float> out(static_cast<std::size_t>(3 * output_size * output_size));
    data::ImageDecoder decoder;
    std::vector<data::EncodedImage> encoded;
    for (const auto& f : files) encoded.push_back({f, "bench", {}});
    const auto with = [&](const data::Transform& t) {
      return measure(files, seconds, [&](std::size_t i, uint64_t key) {
        data::SampleRng rng(0, 0, static_cast<int64_t>(key));
        t.apply_encoded(decoder, encoded[i], rng, out.data());
      });
    };
    const Measurement opencv = measure(files, seconds, [&](std::size_t i, uint64_t key) {
      opencv_sample(fct_default, files[i], key, out.data());
    });
    const Measurement plain_decode = with(fct_plain);
    const Measurement whole_decode = with(fct_whole);
    const Measurement fct = with(fct_default);
    const auto ratio = [&](const Measurement& m) { return m.images_per_s / opencv.images_per_s; };
    sets.push_back({{"set", set.name},
                    {"images", files.size()},
                    {"mean_file_kb", bytes / 1024.0 / static_cast<double>(files.size())},
                    {"opencv_images_per_s", opencv.images_per_s},
                    {"fct_images_per_s", fct.images_per_s},
                    {"fct_whole_file_images_per_s", whole_decode.images_per_s},
                    {"fct_whole_file_no_dct_scaling_images_per_s", plain_decode.images_per_s},
                    {"fct_vs_opencv", ratio(fct)},
                    {"fct_whole_file_vs_opencv", ratio(whole_decode)},
                    {"fct_whole_file_no_dct_scaling_vs_opencv", ratio(plain_decode)},
                    {"cores_for_target_fct", target / fct.images_per_s},
                    {"cores_for_target_opencv", target / opencv.images_per_s}});
  }
  nlohmann::json result = {{"photos", names},
                           {"output_size", output_size},
                           {"threads", 1},
                           {"target_images_per_s", target},
                           {"opencv_version", CV_VERSION},
                           {"sets", sets}};
  std::cout << result.dump(2) << "\n";
  return 0;
}
