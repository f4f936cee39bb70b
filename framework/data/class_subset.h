// Dataset wrappers that select samples of another dataset: ClassSubset keeps some classes (the
// "old" data of an FCT study is classes 0-4 of the full data) and PrefixSubset keeps the first N
// samples (small runs and tests). Both keep the ids of the underlying samples, so embedding stores
// of a subset line up with those of the full split.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "framework/data/dataset.h"

namespace fct::data {

class ClassSubset : public Dataset {
 public:
  // Keeps the samples of `base` whose label is in `classes`; their labels become the positions
  // of those labels in the sorted class list (classes {7, 2} -> 2 becomes 0, 7 becomes 1).
  // A class outside 0..base->num_classes()-1 or listed twice is an error.
  ClassSubset(std::unique_ptr<Dataset> base, std::vector<int64_t> classes);

  std::string name() const override { return base_->name(); }
  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  int64_t num_classes() const override { return static_cast<int64_t>(classes_.size()); }
  int64_t label(int64_t index) const override;
  int64_t id(int64_t index) const override;
  RawImage read(int64_t index) const override;
  int64_t channels() const override { return base_->channels(); }
  bool encoded() const override { return base_->encoded(); }
  EncodedImage read_encoded(int64_t index) const override;
  std::string sample_path(int64_t index) const override;
  InputLog* input_log() const override { return base_->input_log(); }

  // The sorted original classes: label i of this dataset is class classes()[i] of the base.
  const std::vector<int64_t>& classes() const { return classes_; }
  // Index into the base dataset of sample `index`.
  int64_t base_index(int64_t index) const;

 private:
  std::unique_ptr<Dataset> base_;
  std::vector<int64_t> classes_;
  std::vector<int64_t> remap_;    // base label -> new label, or -1 when dropped
  std::vector<int64_t> indices_;  // base indices kept, in base order
};

class PrefixSubset : public Dataset {
 public:
  // The first min(count, base->size()) samples of `base`.
  PrefixSubset(std::unique_ptr<Dataset> base, int64_t count);

  std::string name() const override { return base_->name(); }
  int64_t size() const override { return size_; }
  int64_t num_classes() const override { return base_->num_classes(); }
  int64_t label(int64_t index) const override;
  int64_t id(int64_t index) const override;
  RawImage read(int64_t index) const override;
  int64_t channels() const override { return base_->channels(); }
  bool encoded() const override { return base_->encoded(); }
  EncodedImage read_encoded(int64_t index) const override;
  std::string sample_path(int64_t index) const override;
  InputLog* input_log() const override { return base_->input_log(); }

 private:
  void check_index(int64_t index) const;

  std::unique_ptr<Dataset> base_;
  int64_t size_;
};

}  // namespace fct::data
