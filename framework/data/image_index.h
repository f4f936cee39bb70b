// ImageIndex: the list of one split of an image dataset on disk — relative paths, labels, file
// sizes and (VGG-Face2) face boxes — built once by scanning the dataset's folders and label files
// (an ImageLayout, image_layout.h), then cached (index_cache.h) so that a million-file split starts
// in seconds. Position in `entries` is the sample id.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fct::data {

// A region of interest in the file's pixels; width <= 0 means the whole image. It may extend past
// the image (VGG-Face2 boxes do): it is clamped once the image's size is known.
struct RegionBox {
  float x = 0, y = 0, width = 0, height = 0;
  bool empty() const { return !(width > 0 && height > 0); }
};

struct ImageEntry {
  std::string path;  // relative to ImageIndex::root, '/'-separated
  int64_t label = 0;
  int64_t bytes = -1;  // file size when indexed; -1 = not on disk (a listed file that is missing)
  RegionBox box;
};

struct ImageIndex {
  std::string layout;                // ImageLayout::name() that built it
  std::string split;                 // the split's name ("train", "val", ...)
  std::string root;                  // directory the entry paths are relative to
  std::vector<std::string> classes;  // class (WNID, category, identity) names; label i = classes[i]
  std::vector<ImageEntry> entries;
  // Disagreements between label files and the folders found while scanning (a listed file that is
  // missing, an image no list names, a class folder no list knows), each naming the file.
  std::vector<std::string> problems;

  int64_t size() const { return static_cast<int64_t>(entries.size()); }
};

// Serialised form (a versioned binary blob): what the cache file holds and rank 0 broadcasts.
std::string serialize_index(const ImageIndex& index);
// Throws DataError naming `origin` (a file, or "broadcast") for a blob of another version or one
// cut short.
ImageIndex deserialize_index(const std::string& blob, const std::string& origin);

}  // namespace fct::data
