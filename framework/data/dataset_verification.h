// Dataset verification (`fct data verify`): decodes every file of an indexed split the way the
// loader would and reports what a run would meet — images per class, files that do not decode,
// truncated JPEGs, files whose name hides their format, and the label-list problems the index
// found — before a week of cluster time is spent discovering them one by one.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "framework/data/image_file_dataset.h"

namespace fct::data {

struct FileFinding {
  std::string path;
  std::string detail;
};

struct VerificationReport {
  std::string dataset;
  std::string split;
  int64_t images = 0;
  std::vector<std::string> classes;
  std::vector<int64_t> images_per_class;
  std::vector<FileFinding> unreadable;  // would be skipped (or fail the run)
  std::vector<FileFinding> truncated;   // decode with a warning; used as far as they decode
  std::vector<FileFinding> disguised;   // decodable, but the name says another format
  std::vector<std::string> problems;    // label lists vs folders (from the index)

  bool clean() const { return unreadable.empty() && truncated.empty() && problems.empty(); }
  nlohmann::json to_json() const;
  // A human-readable report (what `fct data verify` prints).
  std::string to_text() const;
};

// Decodes every sample of `dataset` on `threads` threads (each with its own decoder), at 1/8 scale:
// the entropy decoding that finds damage is the same at every scale. `progress(done)` is called
// from the calling thread now and then.
VerificationReport verify_dataset(const ImageFileDataset& dataset, int threads,
                                  const std::function<void(int64_t done)>& progress = {});

}  // namespace fct::data
