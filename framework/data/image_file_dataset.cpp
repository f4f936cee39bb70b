#include "framework/data/image_file_dataset.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

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
  // No photograph is this large; a file that is would only exhaust memory.
  constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t{256} << 20;
  const ImageEntry& e = entry(index);
  EncodedImage image;
  image.path = file_path(index);
  image.region = e.box;
  if (e.bytes < 0) throw DataError(image.path + ": listed but missing when the index was built");
  // A file that is gone, or is not a regular file (a FIFO would block), is a bad file. Any other
  // failure to read (EIO, EMFILE, a network file system's hiccup) is retried, then fails the run:
  // replacing a good sample because the disk stuttered would make runs irreproducible.
  std::error_code error;
  const auto status = std::filesystem::status(image.path, error);
  if (!std::filesystem::exists(status))
    throw DataError(image.path + ": no longer exists (the index was built when it did)");
  if (!std::filesystem::is_regular_file(status))
    throw DataError(image.path + ": not a regular file");
  const auto size = std::filesystem::file_size(image.path, error);
  if (!error && size > kMaxFileBytes)
    throw DataError(image.path + ": " + std::to_string(size) + " bytes is too large for an image");
  std::string last_error;
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100 << attempt));
    std::ifstream in(image.path, std::ios::binary | std::ios::ate);
    if (!in) {
      if (errno == ENOENT) throw DataError(image.path + ": no longer exists");
      last_error = std::string("cannot open: ") + std::strerror(errno);
      continue;
    }
    const std::streamoff length = in.tellg();
    if (length < 0 || static_cast<std::uintmax_t>(length) > kMaxFileBytes) {
      last_error = "cannot read its size";
      continue;
    }
    image.bytes.resize(static_cast<std::size_t>(length));
    in.seekg(0);
    if (!in.read(image.bytes.data(), length)) {
      last_error = std::string("read failed: ") + std::strerror(errno);
      continue;
    }
    return image;
  }
  throw Error(image.path + ": " + last_error + " (3 attempts; an I/O failure, not a bad file)");
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
