// VggFace2Layout: VGG-Face2 as it ships. Splits "train" and "test": <root>/<split>/<identity>/
// <image>_<face>.jpg (the split's folder is the index root), listed by <root>/<split>_list.txt or
// <root>/meta/<split>.txt (lines "n000002/0001_01.jpg"), else found by scanning the folder.
// Labels: the identity's position among the split's sorted identities. Face boxes from
// <root>/bb_landmark/loose_bb_<split>.csv become the standard crop (vggface2_crop_box);
// <root>/identity_meta.csv, when present, is checked against the split (Flag 1 = train, 0 = test).
#pragma once

#include <string>
#include <vector>

#include "framework/data/image_layout.h"

namespace fct::data {

class VggFace2Layout : public ImageLayout {
 public:
  std::string name() const override { return "vggface2"; }
  std::vector<std::string> splits() const override { return {"train", "test"}; }
  ImageIndex scan(const std::string& root, const std::string& split,
                  IndexSources& sources) const override;
};

// The crop VGG-Face2's networks were trained on: the loose box (x, y = top-left, w, h) enlarged
// ×1.3 about its centre. Not clamped: the image's size is known only at decode.
RegionBox vggface2_crop_box(double x, double y, double width, double height);

}  // namespace fct::data
