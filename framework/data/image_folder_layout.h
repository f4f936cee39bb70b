// Two generic layouts for datasets that ship in neither famous form.
//   image_folder: <root>/<split>/<class>/**/<image>; classes = the sorted class folder names; the
//                 split's folder is the index root; entries in path order.
//   image_list:   <root>/<split>.txt, lines "<path> <label>" (path relative to <root>, which is
//                 the index root; it may contain spaces: the label is the last field); labels are
//                 non-negative integers, classes named "0".."max"; blank and '#' lines skipped;
//                 entries in the list's order.
// Any split whose folder (list) exists may be scanned; splits() gives the usual names.
#pragma once

#include <string>
#include <vector>

#include "framework/data/image_layout.h"

namespace fct::data {

class ImageFolderLayout : public ImageLayout {
 public:
  std::string name() const override { return "image_folder"; }
  std::vector<std::string> splits() const override { return {"train", "val", "test"}; }
  ImageIndex scan(const std::string& root, const std::string& split,
                  IndexSources& sources) const override;
};

class ImageListLayout : public ImageLayout {
 public:
  std::string name() const override { return "image_list"; }
  std::vector<std::string> splits() const override { return {"train", "val", "test"}; }
  ImageIndex scan(const std::string& root, const std::string& split,
                  IndexSources& sources) const override;
};

}  // namespace fct::data
