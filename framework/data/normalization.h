// Per-channel pixel statistics a dataset's images are normalised with. Each dataset owns its own
// (Fashion-MNIST its training split's; the layouts of photographs ImageNet's, as torchvision's
// recipes use for every photograph dataset).
#pragma once

#include <vector>

namespace fct::data {

// Mean and standard deviation of pixel values in [0, 1], one per channel.
struct Normalization {
  std::vector<float> mean;
  std::vector<float> std;
};

// ImageNet's training-split statistics (RGB).
inline Normalization photograph_normalization() {
  return {{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}};
}

}  // namespace fct::data
