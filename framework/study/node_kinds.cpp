#include "framework/study/node_kinds.h"

#include <algorithm>

namespace fct::study {

const std::vector<std::string>& training_kinds() {
  static const std::vector<std::string> kinds = {"old", "side_info", "new", "bct"};
  return kinds;
}

bool is_training_kind(const std::string& kind) {
  const auto& kinds = training_kinds();
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

}  // namespace fct::study
