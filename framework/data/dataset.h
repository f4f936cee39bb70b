// Dataset: the seam every image source implements (Fashion-MNIST now; ImageNet, Places-365 and
// VGG-Face2 later). A dataset is a fixed, indexed list of samples of one split; reading a sample
// must be safe from several threads at once.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace fct::data {

// One decoded image, before augmentation: uint8, shape [H, W, C] (C = 1 or 3), contiguous.
struct RawImage {
  torch::Tensor pixels;
};

class Dataset {
 public:
  virtual ~Dataset() = default;

  virtual std::string name() const = 0;
  virtual int64_t size() const = 0;
  // Number of classes of the labels this dataset returns (labels are 0 .. num_classes()-1).
  virtual int64_t num_classes() const = 0;
  virtual int64_t label(int64_t index) const = 0;
  // Stable id of the sample within its split (its index in the full, unfiltered split), used by
  // the embedding stores and leave-one-out evaluation.
  virtual int64_t id(int64_t index) const = 0;
  virtual RawImage read(int64_t index) const = 0;
  // Channels, height and width of the images after the dataset's own evaluation transform.
  virtual int64_t channels() const = 0;
};

}  // namespace fct::data
