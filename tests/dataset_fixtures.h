// Small trees of each dataset layout (ImageNet in its three val forms, Places-365, VGG-Face2, a
// generic image folder and image list), written with real image files, and the answers a layout
// must find in them. Every training split also holds one file of each BadFile kind, labelled like
// any other image: what to do with them is the decoder's business, not the index's.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "framework/data/image_index.h"

namespace fct::testing {

enum class BadFile {
  kGrey,          // a valid one-channel JPEG
  kCmyk,          // a valid CMYK (YCCK, Adobe) JPEG, as ImageNet's 22
  kProgressive,   // a valid progressive JPEG
  kTruncated,     // the first 60% of a valid JPEG
  kEmpty,         // zero bytes
  kPngNamedJpeg,  // a PNG named .JPEG / .jpg, as ImageNet's n02105855_2933.JPEG
  kGarbage,       // random bytes named .jpg
};
const std::vector<BadFile>& all_bad_files();
std::string bad_file_name(BadFile kind);  // "grey", "cmyk", ...

struct FixtureSplit {
  std::string image_root;                 // absolute: the ImageIndex::root the layout must report
  std::vector<std::string> classes;       // the expected ImageIndex::classes
  std::map<std::string, int64_t> labels;  // every expected entry: path (from image_root) -> label
  std::map<BadFile, std::string> bad_files;      // kind -> entry path (training splits)
  std::map<std::string, data::RegionBox> boxes;  // VGG-Face2: entry path -> expected crop
  std::vector<std::string> expected_problems;    // a substring of each problem the scan reports
};

struct DatasetFixture {
  std::string layout;  // layout_registry() name
  std::string root;    // absolute: the root to scan
  std::map<std::string, FixtureSplit> splits;
};

// How the ImageNet fixture's val split is laid out (and labelled).
enum class ImagenetVal {
  kFolders,     // val/<wnid>/ILSVRC2012_val_*.JPEG
  kDevkitMat,   // flat val + devkit ground truth + meta.mat (written through libmatio)
  kDevkitText,  // flat val + devkit ground truth + map_clsloc.txt
  kKaggle,      // ILSVRC/Data/CLS-LOC/{train,val} + LOC_val_solution.csv + LOC_synset_mapping.txt
};

// Five real WNIDs whose devkit IDs (1..5 in the fixture) follow another order than the sorted one,
// plus two internal synsets (IDs 6, 7) that meta.mat holds and the class list must not.
DatasetFixture write_imagenet_fixture(const std::string& directory,
                                      ImagenetVal val = ImagenetVal::kDevkitMat);
// Splits train, train_challenge (train's images and one more per category) and val; five
// categories, two nested (/s/swimming_pool/indoor, /s/swimming_pool/outdoor).
DatasetFixture write_places365_fixture(const std::string& directory);
// Splits train (train_list.txt at the root) and test (meta/test.txt); loose_bb boxes, some past the
// image's edges; identity_meta.csv with leading spaces, quoted names with commas, one identity
// flagged for the other split (an expected problem) and one in no list.
DatasetFixture write_vggface2_fixture(const std::string& directory);
// Splits train and val; a class with nested folders, upper-case extensions and a non-image file.
DatasetFixture write_image_folder_fixture(const std::string& directory);
// Splits train and val; comments, blank lines and paths with spaces in the lists.
DatasetFixture write_image_list_fixture(const std::string& directory);

// "" when `index` is what `split` expects (root, classes, every path and label, sizes matching the
// files on disk, boxes, the expected problems), else one line per difference.
std::string compare_index(const data::ImageIndex& index, const FixtureSplit& split);

// The names fct_make_fixtures accepts: imagenet (= devkit + meta.mat), imagenet-valfolders,
// imagenet-maptext, imagenet-kaggle, places365, vggface2, image_folder, image_list.
std::vector<std::string> fixture_names();
// Writes the named fixture into `directory`; std::invalid_argument for an unknown name.
DatasetFixture write_fixture(const std::string& name, const std::string& directory);

// A devkit synset as meta.mat stores it.
struct DevkitSynset {
  int64_t id = 0;  // ILSVRC2012_ID
  std::string wnid;
  std::string words;
  int64_t num_children = 0;  // 0 for the 1000 leaves
};
// Writes `synsets`, in the order given, as the struct array `synsets` of a compressed MATLAB v5
// file (WNID as 16-bit characters, IDs as double, as MATLAB writes them).
void write_devkit_meta_mat(const std::string& path, const std::vector<DevkitSynset>& synsets);

}  // namespace fct::testing
