#include "framework/data/fashion_mnist_dataset.h"

#include <filesystem>

#include "framework/core/error.h"
#include "framework/data/idx_file.h"

namespace fct::data {
namespace {

// Debian ships the .gz files; an unpacked copy (as LibTorch's MNIST reader wants) works too.
std::string find_file(const std::string& root, const std::string& stem) {
  const std::string gz = root + "/" + stem + ".gz";
  if (std::filesystem::exists(gz)) return gz;
  const std::string plain = root + "/" + stem;
  if (std::filesystem::exists(plain)) return plain;
  throw DataError("fashion_mnist: neither " + gz + " nor " + plain + " exists");
}

}  // namespace

FashionMnistDataset::FashionMnistDataset(const std::string& root, const std::string& split)
    : split_(split) {
  // The IDX files' name prefix of each split.
  static const std::map<std::string, std::string> kPrefixes = {{"train", "train"},
                                                               {"test", "t10k"}};
  const auto found = kPrefixes.find(split);
  if (found == kPrefixes.end())
    throw DataError("fashion_mnist: unknown split '" + split + "'; known: train, test");
  const std::string& prefix = found->second;
  const std::string dir = root.empty() ? std::string(kDefaultRoot) : root;
  const std::string image_path = find_file(dir, prefix + "-images-idx3-ubyte");
  const std::string label_path = find_file(dir, prefix + "-labels-idx1-ubyte");

  IdxArray images = read_idx_file(image_path, IdxType::kUInt8, 3);
  IdxArray labels = read_idx_file(label_path, IdxType::kUInt8, 1);
  if (images.dims[0] != labels.dims[0])
    throw DataError(label_path + ": expected " + std::to_string(images.dims[0]) +
                    " labels (the image count of " + image_path + "), found " +
                    std::to_string(labels.dims[0]));
  if (images.dims[1] <= 0 || images.dims[2] <= 0)
    throw DataError(image_path + ": expected images of positive size, found " +
                    std::to_string(images.dims[1]) + "x" + std::to_string(images.dims[2]));

  images_ = std::move(images.data);
  labels_ = std::move(labels.data);
  size_ = images.dims[0];
  height_ = images.dims[1];
  width_ = images.dims[2];
  image_data_ = images_.data_ptr<uint8_t>();
  label_data_ = labels_.data_ptr<uint8_t>();
  for (int64_t i = 0; i < size_; ++i)
    if (label_data_[i] >= kNumClasses)
      throw DataError(label_path + ": sample " + std::to_string(i) + " has label " +
                      std::to_string(label_data_[i]) + ", expected 0.." +
                      std::to_string(kNumClasses - 1));
}

void FashionMnistDataset::check_index(int64_t index) const {
  if (index < 0 || index >= size_)
    throw DataError("fashion_mnist/" + split_ + ": index " + std::to_string(index) +
                    " out of range [0, " + std::to_string(size_) + ")");
}

int64_t FashionMnistDataset::label(int64_t index) const {
  check_index(index);
  return label_data_[index];
}

int64_t FashionMnistDataset::id(int64_t index) const {
  check_index(index);
  return index;
}

RawImage FashionMnistDataset::read(int64_t index) const {
  check_index(index);
  // A view into the in-memory array: no copy, and safe to share between threads (read-only).
  return RawImage{images_[index].unsqueeze(-1)};
}

}  // namespace fct::data
