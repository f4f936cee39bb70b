// ImageLayout: the seam between a dataset as it ships on disk (ImageNet's WNID folders and devkit
// files, Places-365's list files, VGG-Face2's identity folders and box CSV, a generic folder or
// list) and the ImageIndex the loader reads. A layout only scans; decoding is the loader's job.
// Layouts are registered by the dataset name YAML uses (data.name) in image_layout.cpp.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "framework/core/registry.h"
#include "framework/data/image_index.h"
#include "framework/data/normalization.h"

namespace fct::data {

// What an index was built from, so a cached index can be checked against the disk without a
// rescan: files are compared by size and modification time, directories by modification time
// (adding or removing a file in a directory changes its mtime).
struct IndexSources {
  std::vector<std::string> files;
  std::vector<std::string> directories;
};

class ImageLayout {
 public:
  virtual ~ImageLayout() = default;
  virtual std::string name() const = 0;
  // The splits this layout knows ("train", "val", ...).
  virtual std::vector<std::string> splits() const = 0;
  // Scans split `split` under `root` (absolute or relative to the working directory). Records in
  // `sources` every file it read and every directory it listed. Throws DataError naming the file
  // (and line) for a label file it cannot parse, ConfigError for an unknown split.
  virtual ImageIndex scan(const std::string& root, const std::string& split,
                          IndexSources& sources) const = 0;
  // The pixel statistics its images are normalised with (photographs: ImageNet's).
  virtual Normalization normalization() const { return photograph_normalization(); }

  // Throws ConfigError naming the known splits (and the closest) unless splits() has `split`.
  void require_split(const std::string& split) const;
};

using LayoutFactory = std::unique_ptr<ImageLayout> (*)();

// imagenet, places365, vggface2, image_folder, image_list.
const Registry<LayoutFactory>& layout_registry();

}  // namespace fct::data
