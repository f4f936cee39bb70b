#include "framework/data/image_file_dataset.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>

#include "framework/core/error.h"
#include "framework/data/image_decoder.h"

namespace fct::data {

ImageFileDataset::ImageFileDataset(std::string name, ImageIndex index, BadFilePolicy policy)
    : name_(std::move(name)),
      index_(std::move(index)),
      log_(std::make_unique<InputLog>(name_ + " " + index_.split, policy)) {
  if (index_.classes.empty())
    throw DataError(name_ + " " + index_.split + " (" + index_.root + "): no classes found");
}

const ImageEntry& ImageFileDataset::entry(int64_t index) const {
  if (index < 0 || index >= size())
    throw DataError(name_ + ": sample index " + std::to_string(index) + " out of range [0, " +
                    std::to_string(size()) + ")");
  return index_.entries[static_cast<std::size_t>(index)];
}

int64_t ImageFileDataset::label(int64_t index) const {
  return entry(index).label;
}

int64_t ImageFileDataset::id(int64_t index) const {
  entry(index);
  return index;
}

std::string ImageFileDataset::file_path(int64_t index) const {
  const std::string& path = entry(index).path;
  return index_.root.empty() ? path : index_.root + "/" + path;
}

EncodedImage ImageFileDataset::read_encoded(int64_t index) const {
  const ImageEntry& e = entry(index);
  EncodedImage image;
  image.path = file_path(index);
  image.region = e.box;
  if (e.bytes < 0) throw DataError(image.path + ": listed but missing when the index was built");
  std::ifstream in(image.path, std::ios::binary | std::ios::ate);
  if (!in) throw DataError(image.path + ": cannot open: " + std::strerror(errno));
  const auto size = static_cast<std::streamoff>(in.tellg());
  if (size < 0) throw DataError(image.path + ": cannot read its size");
  image.bytes.resize(static_cast<std::size_t>(size));
  in.seekg(0);
  if (!in.read(image.bytes.data(), size))
    throw DataError(image.path + ": read failed after " + std::to_string(in.gcount()) + " bytes");
  return image;
}

RawImage ImageFileDataset::read(int64_t index) const {
  const EncodedImage file = read_encoded(index);
  ImageDecoder decoder;
  DecodedImage decoded = decoder.decode(reinterpret_cast<const uint8_t*>(file.bytes.data()),
                                        file.bytes.size(), file.path);
  if (decoded.truncated) log_->truncated(file.path);
  torch::Tensor pixels = decoded.image.pixels;
  const PixelRect r = clamp_region(file.region, pixels.size(1), pixels.size(0));
  if (r.x0 != 0 || r.y0 != 0 || r.width() != pixels.size(1) || r.height() != pixels.size(0))
    pixels = pixels.slice(0, r.y0, r.y1).slice(1, r.x0, r.x1).contiguous();
  return {pixels};
}

PixelRect clamp_region(const RegionBox& region, int64_t width, int64_t height) {
  const PixelRect whole{0, 0, width, height};
  if (region.empty()) return whole;
  PixelRect r;
  r.x0 = std::clamp<int64_t>(std::llround(region.x), 0, width);
  r.y0 = std::clamp<int64_t>(std::llround(region.y), 0, height);
  r.x1 = std::clamp<int64_t>(std::llround(region.x + region.width), 0, width);
  r.y1 = std::clamp<int64_t>(std::llround(region.y + region.height), 0, height);
  if (r.width() <= 0 || r.height() <= 0) return whole;
  return r;
}

}  // namespace fct::data
