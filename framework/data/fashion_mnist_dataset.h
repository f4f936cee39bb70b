// Fashion-MNIST (Zalando): 28x28 grey images of 10 clothing classes, read once from the IDX files
// Debian ships (/usr/share/datasets/fashion-mnist) and kept in memory as one uint8 tensor.
#pragma once

#include <cstdint>
#include <string>

#include "framework/data/dataset.h"
#include "framework/data/normalization.h"

namespace fct::data {

class FashionMnistDataset : public Dataset {
 public:
  static constexpr const char* kDefaultRoot = "/usr/share/datasets/fashion-mnist";
  static constexpr int64_t kNumClasses = 10;

  // `split` is "train" (60000 images) or "test" (10000); `root` "" means kDefaultRoot. Files are
  // `<prefix>-images-idx3-ubyte[.gz]` and `<prefix>-labels-idx1-ubyte[.gz]` (prefix train / t10k).
  FashionMnistDataset(const std::string& root, const std::string& split);

  // Pixel statistics of the training split.
  static Normalization normalization() { return {{0.2860f}, {0.3530f}}; }

  std::string name() const override { return "fashion_mnist"; }
  int64_t size() const override { return size_; }
  int64_t num_classes() const override { return kNumClasses; }
  int64_t label(int64_t index) const override;
  int64_t id(int64_t index) const override;
  RawImage read(int64_t index) const override;
  int64_t channels() const override { return 1; }

  const std::string& split() const { return split_; }
  int64_t height() const { return height_; }
  int64_t width() const { return width_; }

 private:
  void check_index(int64_t index) const;

  std::string split_;
  torch::Tensor images_;  // uint8 [N, H, W]
  torch::Tensor labels_;  // uint8 [N]
  const uint8_t* image_data_ = nullptr;
  const uint8_t* label_data_ = nullptr;
  int64_t size_ = 0;
  int64_t height_ = 0;
  int64_t width_ = 0;
};

}  // namespace fct::data
