// ImageFileDataset: a split of an image dataset on disk (ImageNet, Places-365, VGG-Face2, a
// generic folder or list), served from its ImageIndex. Samples are files: the loader reads them
// with read_encoded and decodes them itself (at the scale its transform needs); read() decodes a
// whole sample for everything else (verification, tools, tests).
#pragma once

#include <memory>
#include <string>

#include "framework/data/dataset.h"
#include "framework/data/image_index.h"
#include "framework/data/input_log.h"

namespace fct::data {

class ImageFileDataset : public Dataset {
 public:
  // `name` is the registry name (it selects normalisation statistics).
  ImageFileDataset(std::string name, ImageIndex index, BadFilePolicy policy);

  std::string name() const override { return name_; }
  int64_t size() const override { return index_.size(); }
  int64_t num_classes() const override { return static_cast<int64_t>(index_.classes.size()); }
  int64_t label(int64_t index) const override;
  int64_t id(int64_t index) const override;
  RawImage read(int64_t index) const override;
  int64_t channels() const override { return 3; }
  bool encoded() const override { return true; }
  EncodedImage read_encoded(int64_t index) const override;
  std::string sample_path(int64_t index) const override { return file_path(index); }
  InputLog* input_log() const override { return log_.get(); }

  const ImageIndex& index() const { return index_; }
  // The file of sample `index`, as a path to open (root joined).
  std::string file_path(int64_t index) const;

 private:
  const ImageEntry& entry(int64_t index) const;

  std::string name_;
  ImageIndex index_;
  std::unique_ptr<InputLog> log_;  // mutable state behind a const Dataset
};

// The pixel rectangle [x0, x1) x [y0, y1) of `region` inside a width x height image: rounded to
// whole pixels and clamped to the image (VGG-Face2 boxes reach past it); the whole image when
// `region` is empty or lies entirely outside.
struct PixelRect {
  int64_t x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  int64_t width() const { return x1 - x0; }
  int64_t height() const { return y1 - y0; }
};
PixelRect clamp_region(const RegionBox& region, int64_t width, int64_t height);

}  // namespace fct::data
