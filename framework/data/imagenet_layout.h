// ImagenetLayout: ILSVRC2012 (ImageNet-1k) as it ships. Splits "train" (<root>/train/<wnid>/*) and
// "val", whose three layouts are told apart on disk:
//   folders  <root>/val/<wnid>/*                          (valprep.sh, torchvision)
//   devkit   flat <root>/val/ILSVRC2012_val_%08d.JPEG + ILSVRC2012_devkit_t12/data/
//            ILSVRC2012_validation_ground_truth.txt, IDs mapped to WNIDs by data/meta.mat
//            (or data/map_clsloc.txt)
//   Kaggle   <root>/ILSVRC/Data/CLS-LOC/{train,val} + <root>/LOC_val_solution.csv
// See Note [ImageNet label order]. The index root is the split's image folder.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "framework/data/image_layout.h"

namespace fct::data {

// Note [ImageNet label order]: a label is the position of the WNID among the sorted WNIDs
// (n01440764 -> 0, as ImageFolder and every pretrained model count). The devkit's ILSVRC2012_IDs
// (1..1000) follow another order: ground-truth ID 490 of the first val image is n01751748, sorted
// index 65. Classes are the train folders, else LOC_synset_mapping.txt, else the devkit's leaves
// (else, for val folders, the val folders).
class ImagenetLayout : public ImageLayout {
 public:
  std::string name() const override { return "imagenet"; }
  std::vector<std::string> splits() const override { return {"train", "val"}; }
  ImageIndex scan(const std::string& root, const std::string& split,
                  IndexSources& sources) const override;
};

// The devkit's synsets: ILSVRC2012_ID -> WNID for every synset, and the WNIDs of the leaves (the
// 1000 classes; internal nodes have IDs above 1000 and children).
struct DevkitSynsets {
  std::map<int64_t, std::string> wnid_by_id;
  std::vector<std::string> leaves;
};

// From the MATLAB v5 struct array `synsets` of data/meta.mat (fields ILSVRC2012_ID, WNID,
// num_children, ...). DataError naming the file when it is unreadable or lacks those fields.
DevkitSynsets read_devkit_meta_mat(const std::string& path);

// From a text mapping with lines "<wnid> <ILSVRC2012_ID> <name>" (map_clsloc.txt); every line is
// a leaf. DataError naming file and line for a malformed line.
DevkitSynsets read_map_clsloc(const std::string& path, IndexSources& sources);

}  // namespace fct::data
