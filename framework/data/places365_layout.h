// Places365Layout: Places-365 as it ships. Splits "train" (standard), "train_challenge" and "val".
// Labels come only from the list files at the root (categories_places365.txt,
// places365_train_standard.txt, places365_train_challenge.txt, places365_val.txt), never from
// folder names: categories nest (/s/swimming_pool/indoor). Images lie under the first existing of
// data_256, data_large (train; torchvision renames them data_{256,large}_{standard,challenge})
// and val_256, val_large (val); that folder is the index root. Entries keep the list's order.
#pragma once

#include <string>
#include <vector>

#include "framework/data/image_layout.h"

namespace fct::data {

class Places365Layout : public ImageLayout {
 public:
  std::string name() const override { return "places365"; }
  std::vector<std::string> splits() const override {
    return {"train", "train_challenge", "val", "train_large", "train_challenge_large", "val_large"};
  }
  ImageIndex scan(const std::string& root, const std::string& split,
                  IndexSources& sources) const override;
};

// Category names by id from categories_places365.txt ("/a/airfield 0" -> classes[0] =
// "a/airfield"). DataError naming file and line for a malformed line, a repeated id or a gap.
std::vector<std::string> read_places365_categories(const std::string& path, IndexSources& sources);

}  // namespace fct::data
