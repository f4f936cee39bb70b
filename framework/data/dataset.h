// Dataset: the seam every image source implements (Fashion-MNIST in memory; ImageNet, Places-365,
// VGG-Face2 and generic folders as image files). A dataset is a fixed, indexed list of samples of
// one split; reading a sample must be safe from several threads at once.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "framework/data/image_index.h"

namespace fct::data {

class InputLog;

// One decoded image, before augmentation: uint8, shape [H, W, C] (C = 1 or 3), contiguous.
struct RawImage {
  torch::Tensor pixels;
};

// One image file as stored, for datasets of files: the loader decodes it itself, so that it can
// decode at the scale (and region) the transform needs rather than at full size.
struct EncodedImage {
  std::string bytes;
  std::string path;  // the file, for messages
  RegionBox region;  // the part of the image that is the sample (a face box); empty = all of it
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
  // The decoded image (for files: the region of the file that is the sample).
  virtual RawImage read(int64_t index) const = 0;
  // The file a sample comes from, for messages ("" for in-memory datasets).
  virtual std::string sample_path(int64_t /*index*/) const { return ""; }
  // Whether samples are image files that read_encoded serves.
  virtual bool encoded() const { return false; }
  virtual EncodedImage read_encoded(int64_t index) const;
  // Where the loader records unreadable and truncated files, and whether it may skip them;
  // nullptr for datasets that cannot have bad files.
  virtual InputLog* input_log() const { return nullptr; }
  // Channels, height and width of the images after the dataset's own evaluation transform.
  virtual int64_t channels() const = 0;
};

}  // namespace fct::data
