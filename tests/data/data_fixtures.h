// Test fixtures of the data suite: small IDX files written with zlib, and an in-memory Dataset
// whose samples are known (and can be told to fail).
#pragma once

#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "framework/core/error.h"
#include "framework/data/dataset.h"

namespace fct::testing {

inline void write_gz(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  if (!file) throw std::runtime_error("cannot write " + path);
  if (!bytes.empty()) gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(file);
}

// An IDX uint8 file: magic 0x0000_08_<ndims>, big-endian dims, then `payload`.
inline std::vector<uint8_t> idx_bytes(const std::vector<uint32_t>& dims,
                                      const std::vector<uint8_t>& payload, uint8_t type = 0x08) {
  std::vector<uint8_t> bytes = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<uint8_t>(d >> shift));
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  return bytes;
}

// Writes <dir>/<prefix>-images-idx3-ubyte.gz and -labels-idx1-ubyte.gz with `labels.size()`
// images of h x w; pixel (i, y, x) = (i * 7 + y * w + x) % 256.
inline void write_mnist_like(const std::string& dir, const std::string& prefix,
                             const std::vector<uint8_t>& labels, uint32_t h = 28, uint32_t w = 28) {
  const auto n = static_cast<uint32_t>(labels.size());
  std::vector<uint8_t> pixels(static_cast<std::size_t>(n) * h * w);
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t p = 0; p < h * w; ++p)
      pixels[static_cast<std::size_t>(i) * h * w + p] = static_cast<uint8_t>((i * 7 + p) % 256);
  write_gz(dir + "/" + prefix + "-images-idx3-ubyte.gz", idx_bytes({n, h, w}, pixels));
  write_gz(dir + "/" + prefix + "-labels-idx1-ubyte.gz", idx_bytes({n}, labels));
}

// Sample i: label labels[i], id 1000 + i, a 1-channel h x w image with pixel value (i + y + x) %
// 256. read() of `fail_index` throws.
class FakeDataset : public data::Dataset {
 public:
  FakeDataset(std::vector<int64_t> labels, int64_t num_classes, int64_t h = 8, int64_t w = 8,
              int64_t fail_index = -1)
      : labels_(std::move(labels)),
        num_classes_(num_classes),
        h_(h),
        w_(w),
        fail_index_(fail_index) {}

  std::string name() const override { return "fashion_mnist"; }  // reuses its normalisation
  int64_t size() const override { return static_cast<int64_t>(labels_.size()); }
  int64_t num_classes() const override { return num_classes_; }
  int64_t label(int64_t index) const override { return labels_.at(index); }
  int64_t id(int64_t index) const override { return 1000 + index; }
  data::RawImage read(int64_t index) const override {
    if (index == fail_index_) throw DataError("corrupt image on purpose");
    auto pixels = torch::empty({h_, w_, 1}, torch::kUInt8);
    auto* p = pixels.data_ptr<uint8_t>();
    for (int64_t y = 0; y < h_; ++y)
      for (int64_t x = 0; x < w_; ++x) p[y * w_ + x] = static_cast<uint8_t>((index + y + x) % 256);
    return {pixels};
  }
  int64_t channels() const override { return 1; }

 private:
  std::vector<int64_t> labels_;
  int64_t num_classes_, h_, w_, fail_index_;
};

}  // namespace fct::testing
