#include "framework/data/class_subset.h"

#include <algorithm>

#include "framework/core/error.h"

namespace fct::data {
namespace {

void check_range(const Dataset& dataset, int64_t index, int64_t size) {
  if (index < 0 || index >= size)
    throw DataError(dataset.name() + " subset: index " + std::to_string(index) +
                    " out of range [0, " + std::to_string(size) + ")");
}

}  // namespace

ClassSubset::ClassSubset(std::unique_ptr<Dataset> base, std::vector<int64_t> classes)
    : base_(std::move(base)), classes_(std::move(classes)) {
  if (!base_) throw Error("ClassSubset: no base dataset");
  if (classes_.empty()) throw DataError(base_->name() + ": class subset is empty");
  std::sort(classes_.begin(), classes_.end());
  const int64_t base_classes = base_->num_classes();
  for (std::size_t i = 0; i < classes_.size(); ++i) {
    if (classes_[i] < 0 || classes_[i] >= base_classes)
      throw DataError(base_->name() + ": unknown class " + std::to_string(classes_[i]) +
                      " in the class subset; expected 0.." + std::to_string(base_classes - 1));
    if (i > 0 && classes_[i] == classes_[i - 1])
      throw DataError(base_->name() + ": class " + std::to_string(classes_[i]) +
                      " is listed twice in the class subset");
  }
  remap_.assign(static_cast<std::size_t>(base_classes), -1);
  for (std::size_t i = 0; i < classes_.size(); ++i) remap_[classes_[i]] = static_cast<int64_t>(i);

  const int64_t n = base_->size();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t label = base_->label(i);
    if (label < 0 || label >= base_classes)
      throw DataError(base_->name() + ": sample " + std::to_string(i) + " has label " +
                      std::to_string(label) + ", expected 0.." + std::to_string(base_classes - 1));
    if (remap_[label] >= 0) indices_.push_back(i);
  }
}

int64_t ClassSubset::base_index(int64_t index) const {
  check_range(*this, index, size());
  return indices_[index];
}

int64_t ClassSubset::label(int64_t index) const {
  return remap_[base_->label(base_index(index))];
}

int64_t ClassSubset::id(int64_t index) const {
  return base_->id(base_index(index));
}

RawImage ClassSubset::read(int64_t index) const {
  return base_->read(base_index(index));
}

EncodedImage ClassSubset::read_encoded(int64_t index) const {
  return base_->read_encoded(base_index(index));
}

std::string ClassSubset::sample_path(int64_t index) const {
  return base_->sample_path(base_index(index));
}

PrefixSubset::PrefixSubset(std::unique_ptr<Dataset> base, int64_t count) : base_(std::move(base)) {
  if (!base_) throw Error("PrefixSubset: no base dataset");
  if (count < 0) throw Error(base_->name() + ": negative sample limit " + std::to_string(count));
  size_ = std::min(count, base_->size());
}

void PrefixSubset::check_index(int64_t index) const {
  check_range(*this, index, size_);
}

int64_t PrefixSubset::label(int64_t index) const {
  check_index(index);
  return base_->label(index);
}

int64_t PrefixSubset::id(int64_t index) const {
  check_index(index);
  return base_->id(index);
}

RawImage PrefixSubset::read(int64_t index) const {
  check_index(index);
  return base_->read(index);
}

EncodedImage PrefixSubset::read_encoded(int64_t index) const {
  check_index(index);
  return base_->read_encoded(index);
}

std::string PrefixSubset::sample_path(int64_t index) const {
  check_index(index);
  return base_->sample_path(index);
}

}  // namespace fct::data
